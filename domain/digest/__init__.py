"""The coordinators' daily digest."""
