"""Many files at once: the isolating pool, batch check, merge, the overview."""
