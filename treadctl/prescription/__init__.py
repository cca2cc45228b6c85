"""Prescriptions: a physiotherapist's program, profiles, locked caps and notes, in one file."""
