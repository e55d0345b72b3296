"""BMW's check-control messages: the warnings the car showed its driver.

Pure: :mod:`.messages` (the container's value read as a list of message
types and their highest severity). Wired to Home Assistant: :mod:`.entities`
(the "Check-control messages" sensor of each car, fed by the daily
container read through the coordinator).
"""
