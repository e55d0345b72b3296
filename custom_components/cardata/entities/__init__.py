"""Entity classes shared by the platforms at the integration's root.

:mod:`.base` is the entity of one descriptor of one car, fed by the
coordinator (:mod:`..data`); :mod:`.diagnostic` the account's and the cars'
diagnostic entities (stream state, quota, last message); :mod:`.units` the
display units suggested for the owner's unit system.
"""
