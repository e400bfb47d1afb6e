"""Reports rendered for people (self-contained files: no external assets)."""
