"""What a loaded config entry owns, and where it is built.

:mod:`.data` is the runtime-data dataclass that ``entry.runtime_data`` holds:
tokens, stream, REST client and quota, coordinator, prediction, sharing. The
platforms, diagnostics, services and the Configure menu read their parts
from it; nothing below this room imports it.
"""
