"""Check-in roll calls: who is here, who is late or missing, and the audited day record."""
