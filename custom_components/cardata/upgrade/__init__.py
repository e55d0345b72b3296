"""Taking over from the other integration with the same domain, and entry versions.

:mod:`.migration` converts config entries of kvanbiesen/bmw-cardata-ha and of
older versions of this integration; :mod:`.registry` moves the other
integration's entities and devices onto ours in place, keeping their ids and
history; :mod:`.followup` finishes the takeover after the first start.
"""
