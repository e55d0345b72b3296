"""What a car did: charging started or ended, plugged in or unplugged.

:mod:`.transitions` follows the coordinator (:mod:`..data`) per vehicle and
turns real changes of the charging and plug rules of
:mod:`..catalogue.charging` into typed :class:`.transitions.Transition`
records; values restored at start or resent unchanged never make one.
:mod:`.reasons` groups BMW's words for why a charge ended into a few the
owner acts on. The event entities and the ``battery_charging`` binary
sensor (:mod:`..entities.activity`) subscribe per vehicle, and so can any
later room (a charging ledger).
"""
