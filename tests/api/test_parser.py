"""The stream message parser: documented shapes, odd input, never raises."""

from __future__ import annotations

from datetime import UTC, datetime
import json
import logging
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.cardata.api import DescriptorValue, MessageParser
from custom_components.cardata.api.parser import MAX_DEPTH

VIN = "WBA12345678901234"
GCID = "aa111192-d570-4d3d-8835-656ee00edcd7"


def _payload(data: Any, **outer: Any) -> bytes:
    message = {
        "vin": VIN,
        "entityId": GCID,
        "topic": VIN,
        "timestamp": "2025-07-28T05:16:53.123Z",
        "data": data,
    }
    message.update(outer)
    return json.dumps(message).encode()


def test_documented_message() -> None:
    parser = MessageParser()
    message = parser.parse(
        _payload(
            {
                "vehicle.cabin.door.status": {
                    "value": "CLOSED",
                    "unit": None,
                    "timestamp": "2025-07-28T05:16:53Z",
                },
                "vehicle.drivetrain.batteryManagement.header": {
                    "value": 80,
                    "unit": "percent",
                    "timestamp": "2025-07-28T05:16:50Z",
                },
                "vehicle.isMoving": {"value": False},
            }
        )
    )
    assert message is not None
    assert message.vin == VIN
    assert message.timestamp == datetime(2025, 7, 28, 5, 16, 53, 123000, tzinfo=UTC)
    assert message.data["vehicle.cabin.door.status"] == DescriptorValue(
        "CLOSED", None, datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)
    )
    battery = message.data["vehicle.drivetrain.batteryManagement.header"]
    assert battery.value == 80
    assert isinstance(battery.value, int)
    assert battery.unit == "percent"
    moving = message.data["vehicle.isMoving"]
    assert moving.value is False
    assert moving.unit is None
    assert moving.timestamp is None
    assert parser.parsed == 1
    assert not parser.dropped


def test_asn_words_any_case() -> None:
    parser = MessageParser()
    message = parser.parse(
        _payload(
            {
                "a": {"value": "asn_istrue"},
                "b": {"value": "ASN_ISFALSE"},
                "c": {"value": "Asn_IsUnknown"},
                "d": {"value": "true"},
                "e": {"value": "INVALID"},
                "f": {"value": 1.5},
                "g": {"value": None},
            }
        )
    )
    assert message is not None
    values = {name: dv.value for name, dv in message.data.items()}
    assert values == {
        "a": True,
        "b": False,
        "c": None,
        "d": "true",
        "e": "INVALID",
        "f": 1.5,
        "g": None,
    }


def test_vin_from_topic_and_mqtt_topic() -> None:
    parser = MessageParser()
    data = {"x": {"value": 1}}
    by_topic = parser.parse(_payload(data, vin=None, topic=VIN.lower()))
    assert by_topic is not None
    assert by_topic.vin == VIN
    by_mqtt = parser.parse(
        _payload(data, vin="short", topic=None), topic=f"{GCID}/{VIN}"
    )
    assert by_mqtt is not None
    assert by_mqtt.vin == VIN


def test_bad_input_is_dropped_and_counted() -> None:
    parser = MessageParser(max_payload_bytes=1024)
    assert parser.parse(b"{not json") is None
    assert parser.parse(b"[1, 2]") is None
    assert parser.parse(b"\xff\xfe") is None
    assert parser.parse(b"NaN") is None
    assert parser.parse(b'{"vin": "\xc3\x28"}') is None
    assert (
        parser.parse(_payload({"x": {"value": 1}}, vin="WBAIOQ12345678901", topic=None))
        is None
    )
    assert parser.parse(_payload({"x": {"value": 1}}, vin=None, topic=None)) is None
    assert parser.parse(_payload([1, 2])) is None
    assert parser.parse(_payload({})) is None
    assert parser.parse(_payload({"x": 5, "y": {"value": [1]}})) is None
    assert parser.parse(b" " * 2000) is None
    assert (
        parser.parse(
            b'{"data": {"x": {"value": Infinity}}, "vin": "' + VIN.encode() + b'"}'
        )
        is None
    )
    assert parser.parse("text") is None  # type: ignore[arg-type]
    assert parser.parsed == 0
    assert parser.dropped["invalid_json"] == 5
    assert parser.dropped["not_utf8"] == 1
    assert parser.dropped["not_object"] == 1
    assert parser.dropped["invalid_vin"] == 2
    assert parser.dropped["no_data"] == 3
    assert parser.dropped["bad_descriptor"] == 1
    assert parser.dropped["bad_value"] == 1
    assert parser.dropped["oversized"] == 1


def test_topic_names_the_vehicle_and_a_disagreeing_body_is_dropped() -> None:
    other = "WBA00000000000002"
    parser = MessageParser()
    data = {"x": {"value": 1}}
    assert parser.parse(_payload(data, vin=other), topic=f"{GCID}/{VIN}") is None
    assert parser.dropped["vin_mismatch"] == 1
    both = parser.parse(_payload(data, vin=VIN.lower()), topic=f"{GCID}/{VIN}")
    assert both is not None
    assert both.vin == VIN


def test_deep_nesting_is_dropped_as_such() -> None:
    parser = MessageParser(max_payload_bytes=10**6)
    # Too deep for the JSON decoder or for the parser's own limit: same drop.
    assert parser.parse(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}") is None
    nested = b'{"vin": "' + VIN.encode() + b'", "data": ' + b"[" * 40 + b"]" * 40
    assert parser.parse(nested + b"}") is None
    assert parser.dropped["too_deep"] == 2


def test_nesting_up_to_the_limit_is_kept() -> None:
    parser = MessageParser()

    def nested(lists: int) -> bytes:  # the document, data, x, then the lists
        deep = "[" * lists + "]" * lists
        return _payload({"x": {"value": 1, "extra": json.loads(deep)}})

    assert parser.parse(nested(MAX_DEPTH - 3)) is not None
    assert parser.parse(nested(MAX_DEPTH - 2)) is None
    assert parser.dropped["too_deep"] == 1


def test_each_drop_reason_logs_one_rate_limited_debug_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.cardata.api.parser")
    parser = MessageParser(max_payload_bytes=64)
    secret = b'{"vin": "' + VIN.encode() + b'", "data": {"tyre": '
    for _ in range(5):
        parser.parse(secret)
        parser.parse(b"x" * 100)
    lines = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert lines == [
        "Stream payload dropped (invalid_json): 1",
        "Stream payload dropped (oversized): 1",
    ]
    assert VIN not in caplog.text
    assert parser.dropped["invalid_json"] == 5


def test_partly_bad_message_keeps_good_descriptors() -> None:
    parser = MessageParser()
    message = parser.parse(
        _payload(
            {
                "good": {"value": "OPEN", "unit": 5, "timestamp": "yesterday"},
                "bad": "no object",
                "\u200bzero.width": {"value": 2},
            },
            timestamp=12,
        )
    )
    assert message is not None
    assert set(message.data) == {"good", "zero.width"}
    assert message.data["good"] == DescriptorValue("OPEN", None, None)
    assert parser.dropped["bad_descriptor"] == 1


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(json_values)
def test_arbitrary_json_never_raises(document: Any) -> None:
    parser = MessageParser()
    result = parser.parse(json.dumps(document).encode())
    assert result is None or result.data
    assert parser.parsed + sum(parser.dropped.values()) >= 1


@_SETTINGS
@given(
    st.dictionaries(st.text(max_size=30), json_values, max_size=6),
    st.one_of(st.just(VIN), st.text(max_size=20), st.none(), st.integers()),
    json_values,
)
def test_arbitrary_message_shapes_never_raise(
    data: dict[str, Any], vin: Any, timestamp: Any
) -> None:
    parser = MessageParser()
    result = parser.parse(_payload(data, vin=vin, timestamp=timestamp))
    if result is not None:
        assert result.vin == VIN
        for value in result.data.values():
            assert value.value is None or isinstance(
                value.value, bool | int | float | str
            )


@_SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(payload: bytes) -> None:
    MessageParser().parse(payload)
