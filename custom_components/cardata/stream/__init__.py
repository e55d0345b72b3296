"""The one MQTT stream BMW allows per account, and what is shared from it.

:mod:`.owner` holds the stream (BMW's broker, or the owner's own broker) for
the entry, reconnects with the token of :mod:`..auth`, and hands each message
to the VIN gate (:mod:`..vehicles`) on its way to the coordinator
(:mod:`..data`). :mod:`.sharing` republishes accepted values to the owner's
Home Assistant MQTT broker when the owner turned sharing on.
"""
