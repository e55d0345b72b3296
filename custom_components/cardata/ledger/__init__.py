"""Energy ledger: every charging session kept, classed home or elsewhere, priced.

Pure parts: :mod:`.model` (a session and its stored form) and
:mod:`.recorder` (opens and closes sessions from what the car says). Wired to
Home Assistant: :mod:`.feed` (the stream side, one adapter on the
coordinator), :mod:`.store` (the kept ledger), :mod:`.daily` (BMW's history
read once a day per vehicle, planned by the pure :mod:`.reading`) and
:mod:`.hub` (the entry's ledger: recorders, classing, prices, queries). The
monthly statement: :mod:`.statement` (the CSV, pure) and :mod:`.view` (its
authenticated download).
"""
