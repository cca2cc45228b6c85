"""Session history: the SQLite record of every session, its exports and the progress report."""
