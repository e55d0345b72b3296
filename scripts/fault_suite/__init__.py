"""The fault suite: a real Home Assistant against the standalone simulator."""
