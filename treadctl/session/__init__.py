"""The session engine and the run composition (audit log, headless printer, wiring)."""
