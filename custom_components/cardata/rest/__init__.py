"""BMW's REST API used sparingly: the daily quota, the first set-up and the extras.

:mod:`.quota_policy` decides, without Home Assistant, which calls the 50 a day
allow; :mod:`.quota` keeps the account's call log and guards every call;
:mod:`.bootstrap` makes the first set-up calls (mappings, basic data,
container) and reads telematic values into the coordinator (:mod:`..data`);
:mod:`.extras` are the opt-in reads (image, charging history, tyres);
:mod:`.daily` is the once-a-day-per-vehicle schedule the daily reads share
(the ledger's history read, :mod:`.container_read` for the fields BMW does
not stream).
"""
