"""Output events and the alert policy: when a score becomes an alert, and what it says."""
