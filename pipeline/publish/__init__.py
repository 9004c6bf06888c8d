"""Publishing stage: Episodes → podcast feed, static site and a local preview server."""
