"""Mixing stage: rendered segments → one mastered Episode (MP3, chapters, transcripts)."""
