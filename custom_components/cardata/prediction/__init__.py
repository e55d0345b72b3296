"""Predicted charge level: pure model and inputs, the hub, its entities and polls."""
