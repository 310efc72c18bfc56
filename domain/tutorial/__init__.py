"""The camera / microphone / screen-share tutorial: content model, loader and the flow's rules."""
