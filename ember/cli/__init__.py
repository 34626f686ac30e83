"""The ember command (being written)."""
