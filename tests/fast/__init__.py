"""Fast test tier: the integration from stored state, with no simulator or network."""
