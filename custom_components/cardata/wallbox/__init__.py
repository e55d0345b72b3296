"""A wallbox's power meter as the charging power of a car's charge estimate.

Per car the owner may name a power sensor (Configure → Wallbox). While the
car is plugged in (or charging) at home and the sensor's value is fresh, its
power replaces the car's own in the estimate (:mod:`..prediction`); else the
estimate runs on the car's power as without it.
"""
