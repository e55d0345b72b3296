"""Tokens of a logged-in account, kept fresh for the stream and the REST calls.

The device-code login itself runs in ``config_flow.py``; what it yields (the
refresh, access and id tokens) lands here. :mod:`.token_manager` refreshes them
before they expire, stores every rotated token in the config entry and in a
file of its own (:mod:`.token_file`, whose write failures it can see; a token
that could not be saved stays in use and saving is retried), and starts
one reauthentication when BMW refuses the refresh token. The stream
(:mod:`..stream`) and the REST client (:mod:`..rest`) wait on it for a token.
"""
