"""Trip journal: every drive of every car, told from what the car sends.

:mod:`.model` holds a trip and its stored form, :mod:`.detector` decides
from the car's values when a trip starts and ends (pure), :mod:`.figures`
turns a trip into the owner's units, :mod:`.hub` follows the coordinator,
keeps the journal in a ``Store`` and tells the entities, and
:mod:`.entities` holds the trip sensors and the trip event entity.
"""
