"""The account's cars: which ones belong, their devices, and polls when silent.

:mod:`.gate` stands between the stream and the coordinator and lets through
only the cars mapped to the account; :mod:`.sync` keeps the device registry
and BMW's mappings in step; :mod:`.polling` reads a car over REST, within the
quota, while its stream stays silent; :mod:`.devices` removes a car's device
with its entities; :mod:`.title` titles the account's entry by its cars.
"""
