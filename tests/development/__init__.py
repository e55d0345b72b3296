"""Development-only companions of the integration (never shipped with it)."""
