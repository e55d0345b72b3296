"""Mechanisms every other room uses, one of each.

Listener registries, task cancelling, local time for texts, the hash of a
VIN for storage keys, logs and diagnostics (the VIN pattern itself is in
``api.vin``), the owner's settings read from the entry options, and the repair
issues the account and its cars can raise.
Nothing here knows about the stream, the REST calls or the entities.
"""
