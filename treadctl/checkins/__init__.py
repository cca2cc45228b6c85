"""Check-ins: effort (RPE 0-10) and knee pain (0-10) after a session, and knee pain the morning
after. Stored per session in the history database; ``progress`` uses them to hold a week back."""
