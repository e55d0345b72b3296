"""The Configure menu: its actions and forms, and how answers are shown.

``config_flow.py`` at the root runs the login and hands the options flow over
to :mod:`.options`; :mod:`.broker_form` is the custom broker's form and
:mod:`.answers` turns BMW's answers into the owner's words for the menu's
actions and the service actions.
"""
