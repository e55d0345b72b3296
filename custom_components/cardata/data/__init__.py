"""The push coordinator: what each car last sent, per descriptor.

Values arrive from the stream (:mod:`..stream`) and from REST reads
(:mod:`..rest`) and are applied to :mod:`.coordinator` (what it holds and
which value replaces which: :mod:`.state`), which tells the entities of the
changed descriptors. :mod:`.value_store` keeps the last values
across restarts, so entities come back with their states before BMW speaks.
"""
