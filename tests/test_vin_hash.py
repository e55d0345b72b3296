"""The one VIN hash: what is already stored must keep reading back.

Issue ids, the prediction's and the value store's keys, the quota log and the
quota store's name hold these hashes on installed systems; the expected
values were computed with the code each use had before they shared one hash.
"""

from __future__ import annotations

from custom_components.cardata.common.issues import vin_suffix
from custom_components.cardata.common.redact import Redactor, vin_hash
from custom_components.cardata.data.value_store import vin_key
from custom_components.cardata.prediction.hub import vehicle_key
from custom_components.cardata.rest.quota import storage_key

VIN = "WBA00000000BEV001"


def test_persisted_hashes_unchanged() -> None:
    """Each stored spelling is byte for byte what it was."""
    assert vin_suffix(VIN) == "4d1480958e65"
    assert vehicle_key(VIN) == "4d1480958e651b2d"
    assert vin_key("entry1", VIN) == "43c4f79181b41d050881de47"
    assert Redactor(b"salt").ref("vin", VIN) == "vin_0e8d03a690"
    assert storage_key("gcid-1") == "cardata.quota.0249ba2880dfe44c"


def test_vin_hash_parameters() -> None:
    """Salt and key change the hash; the length only cuts it."""
    plain = vin_hash(VIN, 64)
    assert vin_hash(VIN, 12) == plain[:12]
    assert vin_hash(VIN, 64, salt="") != plain
    assert vin_hash(VIN, 64, key=b"k") != plain
