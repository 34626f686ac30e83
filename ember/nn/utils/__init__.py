"""Gradient utilities (being written)."""
