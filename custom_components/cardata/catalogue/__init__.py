"""What each of BMW's descriptors means, and how a raw value becomes a state.

:mod:`.generated` is derived from BMW's telematics catalogue by
``scripts/generate_catalogue.py``; :mod:`.overrides` corrects it where BMW is
wrong or silent; :mod:`.descriptors` joins both into one description per
descriptor (platform, device class, unit, states). :mod:`.conversion` turns a
raw value into the entity's value and :mod:`.value_check` rejects what does
not fit, before anything reaches the coordinator (:mod:`..data`).
"""
