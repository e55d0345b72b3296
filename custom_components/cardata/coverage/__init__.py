"""Data coverage: which of the catalogue's fields each car really sends.

:mod:`.report` sorts a car's fields into columns (seen on the stream, only in
a container read, asked for but never arrived) next to the fields BMW does
not stream at all, and names the fields the core roles need; :mod:`.hub`
follows the stream and the container reads, keeps what was seen and raises
the repair issue when the container lacks a core field; :mod:`.entities`
holds the "Data coverage" diagnostic sensor of each car. The device
diagnostics carry the full report.
"""
