"""Tests of the descriptor catalogue: typing, conversion, names, generation."""

from __future__ import annotations

from datetime import UTC, datetime
import importlib.util
import json
import os
from pathlib import Path
import re
import subprocess
import sys
from types import ModuleType

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.components.sensor.const import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    Platform,
    UnitOfLength,
    UnitOfPressure,
    UnitOfTemperature,
)
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.cardata.catalogue.conversion import convert
from custom_components.cardata.catalogue.descriptors import (
    ValueKind,
    catalogue_descriptors,
    describe,
    enum_state,
    fallback_name,
    map_unit,
    translation_key_for,
)
from tests.entity_helpers import in_snapshots_dir

REPO = Path(__file__).resolve().parent.parent
TRANSLATIONS = REPO / "custom_components" / "cardata" / "translations"
REFERENCE = Path(
    os.environ.get(
        "CARDATA_REFERENCE_DIR", REPO.parent / "shared" / "reference" / "bmw"
    )
)
CSV = REFERENCE / "telematics-data-catalogue.csv"
# Home Assistant's rule for translation keys (script/hassfest/translations.py).
KEY_RE = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")

SOC = "vehicle.drivetrain.batteryManagement.header"
ODOMETER = "vehicle.vehicle.travelledDistance"
WINDOW = "vehicle.cabin.window.row1.driver.status"
DOOR = "vehicle.cabin.door.row1.driver.isOpen"
TRUNK_LOCK = "vehicle.body.trunk.isLocked"
TYRE = "vehicle.chassis.axle.row1.wheel.left.tire.pressure"
LAT = "vehicle.cabin.infotainment.navigation.currentLocation.latitude"
CHARGING_STATUS = "vehicle.drivetrain.electricEngine.charging.status"


def test_catalogue_size_and_platforms() -> None:
    descriptors = catalogue_descriptors()
    assert len(descriptors) > 250
    platforms = {describe(d).platform for d in descriptors}
    assert platforms == {Platform.SENSOR, Platform.BINARY_SENSOR}
    enabled = [d for d in descriptors if describe(d).enabled_default]
    assert 20 < len(enabled) < len(descriptors) / 3


def test_translation_keys_valid_and_unique() -> None:
    keys = [describe(d).translation_key for d in catalogue_descriptors()]
    assert all(key is not None and KEY_RE.match(key) for key in keys)
    assert len(set(keys)) == len(keys)
    assert translation_key_for(SOC) == describe(SOC).translation_key


def test_device_classes_units_and_state_classes_are_consistent() -> None:
    for descriptor in catalogue_descriptors():
        info = describe(descriptor)
        if info.platform is Platform.BINARY_SENSOR:
            assert info.device_class is None or isinstance(
                info.device_class, BinarySensorDeviceClass
            )
            assert info.true_values
            assert info.false_values
            assert not info.true_values & info.false_values
            continue
        dc = info.device_class
        if dc is SensorDeviceClass.ENUM:
            assert info.options
            assert all(KEY_RE.match(option) for option in info.options)
            assert info.native_unit is None
            assert info.state_class is None
        elif dc is not None and dc in DEVICE_CLASS_UNITS:
            assert info.native_unit in DEVICE_CLASS_UNITS[dc], descriptor
        if dc is not None and info.state_class is not None:
            allowed = DEVICE_CLASS_STATE_CLASSES.get(dc, set(SensorStateClass))
            assert info.state_class in allowed, descriptor


@pytest.mark.parametrize(
    ("descriptor", "device_class", "unit", "state_class"),
    [
        (SOC, SensorDeviceClass.BATTERY, PERCENTAGE, SensorStateClass.MEASUREMENT),
        (
            ODOMETER,
            SensorDeviceClass.DISTANCE,
            UnitOfLength.KILOMETERS,
            SensorStateClass.TOTAL_INCREASING,
        ),
        (TYRE, SensorDeviceClass.PRESSURE, UnitOfPressure.KPA, "measurement"),
        (
            "vehicle.chassis.axle.row1.wheel.left.tire.temperature",
            SensorDeviceClass.TEMPERATURE,
            UnitOfTemperature.CELSIUS,
            "measurement",
        ),
        (
            "vehicle.powertrain.electric.battery.charging.power",
            SensorDeviceClass.POWER,
            "W",
            "measurement",
        ),
        (
            "vehicle.drivetrain.electricEngine.charging.timeToFullyCharged",
            SensorDeviceClass.DURATION,
            "min",
            "measurement",
        ),
        (
            "vehicle.status.serviceTime.inspectionDateLegal",
            SensorDeviceClass.TIMESTAMP,
            None,
            None,
        ),
        (WINDOW, SensorDeviceClass.ENUM, None, None),
    ],
)
def test_typical_descriptors(
    descriptor: str, device_class: str, unit: str | None, state_class: str | None
) -> None:
    info = describe(descriptor)
    assert info.platform is Platform.SENSOR
    assert info.device_class == device_class
    assert info.native_unit == unit
    assert info.state_class == state_class
    assert info.enabled_default == ("temperature" not in descriptor)


def test_binary_sensors() -> None:
    door = describe(DOOR)
    assert door.platform is Platform.BINARY_SENSOR
    assert door.device_class is BinarySensorDeviceClass.DOOR
    assert convert(door, "OPEN") is True
    assert convert(door, "CLOSED") is False
    assert convert(door, "INVALID") is None
    assert convert(door, True) is True
    plug = describe(
        "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"
    )
    assert plug.device_class is BinarySensorDeviceClass.PLUG
    assert convert(plug, "true") is True
    assert convert(plug, "false") is False
    # Home Assistant's lock: on means unlocked.
    lock = describe(TRUNK_LOCK)
    assert lock.device_class is BinarySensorDeviceClass.LOCK
    assert convert(lock, True) is False
    assert convert(lock, "false") is True
    flap = describe("vehicle.body.flap.isLocked")
    assert convert(flap, "FLAP_LOCKED") is False
    assert convert(flap, "FLAP_UNLOCKED") is True
    hospitality = describe("vehicle.body.chargingPort.isHospitalityActive")
    assert convert(hospitality, "HOSPITALITY_ACTIVE") is True
    assert convert(hospitality, "HOSPITALITY_INACTIVE") is False
    moving = describe("vehicle.isMoving")
    assert convert(moving, "ASN_isTrue") is True
    assert convert(moving, "asn_isunknown") is None
    assert convert(moving, "maybe") is None
    recharge = describe("vehicle.electricalSystem.battery.serviceDemand.recharge")
    assert recharge.platform is Platform.BINARY_SENSOR
    assert convert(recharge, 1) is True
    assert convert(recharge, "0") is False


def test_enum_conversion_keeps_every_word_but_no_value() -> None:
    info = describe(WINDOW)
    assert info.options == ("closed", "intermediate", "open")
    assert convert(info, "CLOSED") == "closed"
    assert convert(info, "open") == "open"
    assert convert(info, "INVALID") is None
    assert convert(info, "-NA-") is None
    # A word the catalogue does not list is data the owner should see.
    assert convert(info, "SOMETHING_NEW") == "something_new"
    lock = describe("vehicle.cabin.door.lock.status")
    assert "selective_locked" in (lock.options or ())
    assert convert(lock, "SELECTIVE-LOCKED") == "selective_locked"
    # The overall door state: BMW's words carry an "ASN_" prefix.
    doors = describe("vehicle.cabin.door.status")
    assert convert(doors, "ASN_unlocked") == "unlocked"
    assert convert(doors, "ASN_selective-Locked") == "selective_locked"
    assert convert(doors, "ASN_unknown") is None
    # Spelled without the separator (as the row's description does).
    assert convert(lock, "SELECTIVELOCKED") == "selective_locked"
    error = describe("vehicle.vehicle.preConditioning.error")
    assert convert(error, "LowFuel") == "low_fuel"


def test_number_conversion() -> None:
    soc = describe(SOC)
    assert convert(soc, 80) == 80
    assert convert(soc, "80.5") == pytest.approx(80.5)
    assert convert(soc, "INVALID") is None
    assert convert(soc, "") is None
    assert convert(soc, None) is None
    assert convert(soc, True) is None
    assert convert(soc, float("nan")) is None
    tyre = describe(TYRE)
    assert convert(tyre, "230") == 230
    assert isinstance(convert(tyre, "230"), int)
    assert convert(tyre, 230.0) == 230
    assert convert(describe(ODOMETER), "12345,5") == pytest.approx(12345.5)


def test_timestamp_conversion() -> None:
    info = describe("vehicle.trip.segment.end.time")
    assert info.data_type is ValueKind.TIMESTAMP
    expected = datetime(2025, 2, 1, 10, 11, tzinfo=UTC)
    assert convert(info, "01.02.2025 10:11 UTC") == expected
    assert convert(info, "02/01/2025 10:11 UTC") == expected
    assert convert(info, "2025-02-01T10:11:00.000Z") == expected
    assert convert(info, int(expected.timestamp())) == expected
    assert convert(info, int(expected.timestamp()) * 1000) == expected
    assert convert(info, "not a date") is None
    assert convert(info, 0) is None


def test_text_conversion() -> None:
    info = describe("vehicle.body.chargingPort.isoSessionId")
    assert info.data_type is ValueKind.TEXT
    assert convert(info, " abc ") == "abc"
    assert convert(info, "x" * 300) is None
    assert convert(info, "") is None


def test_unknown_descriptor_is_plain_sensor() -> None:
    info = describe("vehicle.somethingNew.isoValueSoC")
    assert info.platform is Platform.SENSOR
    assert info.translation_key is None
    assert info.device_class is None
    assert info.in_catalogue is False
    assert info.fallback_name == "Something new ISO value SOC"
    assert convert(info, 3.5) == pytest.approx(3.5)
    assert convert(info, "ON") == "ON"
    assert convert(info, True) == "true"
    assert fallback_name("vehicle.cabin.door.row1.driver.isOpen") == (
        "Door row 1 driver is open"
    )
    assert fallback_name("") == "Value"


def test_tracker_roles_and_categories() -> None:
    assert describe(LAT).tracker_role == "latitude"
    roles = {describe(d).tracker_role for d in catalogue_descriptors()}
    assert roles == {None, "latitude", "longitude", "heading", "altitude"}
    assert not describe(LAT).enabled_default
    obfcm = describe("vehicle.channel.ista.obfcm.lastTransmissionStatus")
    assert obfcm.entity_category is EntityCategory.DIAGNOSTIC
    assert describe(SOC).entity_category is None


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("percent", PERCENTAGE),
        ("%", PERCENTAGE),
        ("Celsius", UnitOfTemperature.CELSIUS),
        ("celsius", UnitOfTemperature.CELSIUS),
        ("kPa", UnitOfPressure.KPA),
        ("km/h", "km/h"),
        ("kWh", "kWh"),
        ("kW", "kW"),
        ("W", "W"),
        ("V", "V"),
        ("A", "A"),
        ("l", "L"),
        ("min", "min"),
        ("h", "h"),
        ("s", "s"),
        ("degrees", "°"),
        ("-", None),
        (None, None),
        ("parsecs", "parsecs"),
    ],
)
def test_unit_mapping(unit: str | None, expected: str | None) -> None:
    assert map_unit(unit) == expected


def test_enum_state_normalisation() -> None:
    assert enum_state("SELECTIVE-LOCKED") == "selective_locked"
    assert enum_state("doorsTiltCabin") == "doors_tilt_cabin"
    assert enum_state("-NA-") == "na"
    assert enum_state("1-PHASES") == "1_phases"


def _load(lang: str) -> dict[str, dict[str, dict[str, object]]]:
    data = json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
    return data["entity"]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_translations_cover_catalogue(lang: str) -> None:
    entity = _load(lang)
    for descriptor in catalogue_descriptors():
        info = describe(descriptor)
        entry = entity[str(info.platform)][info.translation_key or ""]
        assert isinstance(entry["name"], str)
        if lang == "en" and info.options:
            states = entry["state"]
            assert isinstance(states, dict)
            assert set(states) == set(info.options)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_translations_follow_hassfest_rules(lang: str) -> None:
    entity = _load(lang)
    names: dict[str, set[str]] = {}
    for platform, entries in entity.items():
        assert KEY_RE.match(platform)
        for key, entry in entries.items():
            assert KEY_RE.match(key), key
            texts = [entry.get("name")]
            states = entry.get("state", {})
            assert isinstance(states, dict)
            for state, text in states.items():
                assert KEY_RE.match(state), state
                texts.append(text)
            for text in texts:
                assert isinstance(text, str)
                assert text == text.strip()
                assert text
                assert not re.search(r"[{}<>]|https?://", text), text
            names.setdefault(str(entry.get("name")), set()).add(key)
    duplicates = {name: keys for name, keys in names.items() if len(keys) > 1}
    assert not duplicates


def test_regenerating_gives_committed_table(tmp_path: Path) -> None:
    if not CSV.is_file():
        pytest.skip(f"BMW reference CSV not found at {CSV} (set CARDATA_REFERENCE_DIR)")
    output = tmp_path / "catalogue.py"
    script = REPO / "scripts" / "generate_catalogue.py"
    run = subprocess.run(  # noqa: S603
        [sys.executable, str(script), str(CSV), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    committed = REPO / "custom_components" / "cardata" / "catalogue" / "generated.py"
    assert output.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")


async def test_home_assistant_loads_entity_names(hass) -> None:
    from homeassistant.helpers.translation import async_get_translations  # noqa: PLC0415

    prefix = "component.cardata.entity"
    de = await async_get_translations(hass, "de", "entity", {"cardata"})
    assert de[f"{prefix}.sensor.travelled_distance.name"] == "Kilometerstand"
    window = f"{prefix}.sensor.cabin_window_row1_driver_status"
    assert de[f"{window}.state.open"] == "Offen"
    en = await async_get_translations(hass, "en", "entity", {"cardata"})
    assert en[f"{prefix}.binary_sensor.body_trunk_is_locked.name"] == "Tailgate lock"


def test_every_enum_descriptor_with_the_source_of_its_options(
    snapshot: SnapshotAssertion,
) -> None:
    """Where each enum's options come from: range, description, both, override."""
    table = {
        descriptor: f"{info.options_source}: {', '.join(info.options or ())}"
        for descriptor in catalogue_descriptors()
        if (info := describe(descriptor)).data_type is ValueKind.ENUM
    }
    assert table[CHARGING_STATUS] == (
        "description: nocharging, initialization, chargingactive,"
        " chargingpaused, chargingended, chargingerror"
    )
    assert table == in_snapshots_dir(snapshot)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_catalogue", REPO / "scripts" / "generate_catalogue.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_takes_words_the_description_names() -> None:
    gen = _generator()
    # A range copied from another row: the description's words replace it.
    assert gen.enum_words(
        "string",
        "MANUAL_SELECTION, AUTOMATIC_SELECTION, UNKNOWN",
        "For example, NOCHARGING means not charging, while CHARGINGACTIVE means"
        " charging. Other values: CHARGINGERROR (error).",
    ) == (("NOCHARGING", "CHARGINGACTIVE", "CHARGINGERROR"), "description")
    # The description confirms the range and adds a word.
    assert gen.enum_words(
        "string",
        "CLOSEDSECURED, OPENSECURED",
        "closed (CLOSED), CLOSEDSECURED = closed and secured, OPENSECURED = open",
    ) == (("CLOSEDSECURED", "OPENSECURED", "CLOSED"), "both")
    # Same words spelled without the dash; acronyms are no values.
    assert gen.enum_words(
        "string",
        "SELECTIVE-LOCKED, LOCKED",
        "locked (LOCKED), SELECTIVELOCKED via the BMW app and GPS",
    ) == (("SELECTIVE-LOCKED", "LOCKED"), "range")
    # One named word is not a list: the range counts.
    assert gen.enum_words("string", "A1, B2", "Says INVALID once.") == (
        ("A1", "B2"),
        "range",
    )
    assert gen.enum_words("float", "0-100", "NOCHARGING, CHARGINGACTIVE") == (
        None,
        None,
    )
