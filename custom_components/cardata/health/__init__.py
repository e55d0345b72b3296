"""Battery health: the usable capacity measured from charging sessions.

Pure: :mod:`.estimate` (each session's capacity from its grid energy and
charge level change, their median and a 95 % interval). Wired to Home
Assistant: :mod:`.entities` (the measured capacity and the battery health
sensors, fed by the energy ledger's sessions, BMW's own state of health when
the car sends one, and the prediction's configured capacity).
"""
