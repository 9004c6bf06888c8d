"""Synthesis stage: render every segment of a Script with its cast voice (engines, voices, cache)."""
