"""Canned payloads of the dedicated REST endpoints, in BMW's shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .world import HOME, ChargeRecord, Vehicle


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def history_row(record: ChargeRecord, shape: str = "classic") -> dict[str, Any]:
    """One charge as BMW's history answers it, in the ``classic`` or ``v15`` shape."""
    blocks = record.blocks or (
        (
            record.start,
            record.end,
            record.grid_kwh
            / max((record.end - record.start).total_seconds() / 3600, 1e-6),
        ),
    )
    row: dict[str, Any] = {
        "startTime": _ms(record.start),
        "endTime": _ms(record.end),
        "displayedStartSoc": round(record.start_soc),
        "displayedSoc": round(record.end_soc),
        "timeZone": record.time_zone,
        "totalChargingDurationSec": round((record.end - record.start).total_seconds()),
        "energyConsumedFromPowerGridKwh": round(record.grid_kwh, 2),
        "isPreconditioningActivated": False,
        "mileage": 12_000,
        "mileageUnits": "MileageUnits.KM",
        "businessErrors": [],
        "chargingLocation": {
            "municipality": "München",
            "formattedAddress": "Sim-Strasse 1, 80809 München",
            "streetAddress": "Sim-Strasse 1",
            "mapMatchedLatitude": record.place[0],
            "mapMatchedLongitude": record.place[1],
        },
        "chargingBlocks": [
            {"startTime": _ms(a), "endTime": _ms(b), "averagePowerGridKw": round(kw, 2)}
            for a, b, kw in blocks
        ],
    }
    if record.public:
        row["publicChargingPoint"] = {
            "potentialChargingPointMatches": [{"providerName": record.public}]
        }
    if shape == "v15":
        row["energyDecreaseHvbKwh"] = 0.0
        row["energyDischargedKwh"] = round(record.battery_kwh, 2)
    else:
        row["chargingCostInformation"] = {
            "currency": "EUR",
            "calculatedChargingCost": round(record.grid_kwh * 0.32, 2),
            "calculatedSavings": 0.0,
        }
    return row


def charging_sessions(vehicle: Vehicle, now: dt.datetime) -> list[dict[str, Any]]:
    """The vehicle's charges, newest first, in its history shape (none for ICE).

    A vehicle that recorded its charges (:attr:`Vehicle.charges`) answers
    those, so the history agrees with what it streamed; else ten canned AC
    sessions over the last 30 days.
    """
    if not vehicle.electric:
        return []
    if vehicle.charges:
        done = [c for c in vehicle.charges if c.end <= now]
        return [
            history_row(c, vehicle.history_shape)
            for c in sorted(done, key=lambda c: c.start, reverse=True)
        ]
    day = now.replace(hour=18, minute=0, second=0, microsecond=0)
    sessions = []
    for i in range(10):
        start = day - dt.timedelta(days=3 * i + 1)
        duration = 3600 + 600 * (i % 4)
        end = start + dt.timedelta(seconds=duration)
        energy = round(7.4 * duration / 3600 * 0.93, 2)
        start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        session: dict[str, Any] = {
            "startTime": start_ms,
            "endTime": end_ms,
            "displayedStartSoc": 30 + i,
            "displayedSoc": 80,
            "timeZone": "Europe/Berlin",
            "totalChargingDurationSec": duration,
            "energyConsumedFromPowerGridKwh": energy,
            "isPreconditioningActivated": i % 3 == 0,
            "mileage": 12_000 - 150 * i,
            "mileageUnits": "MileageUnits.KM",
            "businessErrors": [],
            "chargingCostInformation": {
                "currency": "EUR",
                "calculatedChargingCost": round(energy * 0.32, 2),
                "calculatedSavings": 0.0,
            },
            "chargingLocation": {
                "municipality": "München",
                "formattedAddress": "Sim-Strasse 1, 80809 München",
                "streetAddress": "Sim-Strasse 1",
                "mapMatchedLatitude": HOME[0],
                "mapMatchedLongitude": HOME[1],
            },
            "chargingBlocks": [
                {"startTime": start_ms, "endTime": end_ms, "averagePowerGridKw": 7.2}
            ],
        }
        if i == 4:
            session["publicChargingPoint"] = {
                "potentialChargingPointMatches": [
                    {
                        "postalCode": "80807",
                        "streetAddress": "Ladeweg 2",
                        "providerName": "Sim Charge",
                        "city": "München",
                    }
                ]
            }
        sessions.append(session)
    return sessions


def _tyre(label: str, wear: str) -> dict[str, Any]:
    return {
        "label": label,
        "dimension": {
            "label": "Dimension",
            "value": "255/50 R21 106W",
            "sectionWidth": 255,
            "aspectRatio": 50,
            "constructionType": "R",
            "rimDiameter": 21,
            "loadIndex": 106,
            "speedRating": "W",
        },
        "season": {"label": "Season", "season": "SUMMER", "value": "Summer"},
        "runFlat": {"label": "Run flat", "runFlat": False, "value": "No"},
        "tread": {
            "label": "Tread",
            "manufacturer": "Simtyre",
            "treadDesign": "Eco 1",
            "carcass": "",
            "value": "Simtyre Eco 1",
        },
        "tyreWear": {
            "label": "Wear",
            "value": wear,
            "status": "OK",
            "statusColor": "GREEN",
            "dueMileage": 18_000,
            "unit": "KILOMETER",
        },
        "tyreDefect": {
            "label": "Defect",
            "value": "None",
            "status": "OK",
            "statusColor": "GREEN",
        },
        "tyreProductionDate": {
            "label": "Production",
            "value": "2023-11",
            "statusColor": "GREEN",
        },
        "mountingDate": {
            "label": "Mounted",
            "mountingDate": "2024-04-02",
            "value": "2024-04-02",
        },
        "partNumber": {
            "label": "Part number",
            "partNumber": "6888000",
            "value": "6888000",
        },
        "optimizedForOem": {"label": "OEM", "optimizedForOem": "BMW", "value": "*"},
        "qualityStatus": {"label": "Quality", "qualityStatus": "OK", "value": "OK"},
    }


def tyre_diagnosis() -> dict[str, Any]:
    """SmartMaintenanceTyreDiagnosisDto for mounted summer tyres."""
    mounted = {
        "label": "Mounted tyres",
        "aggregatedQualityStatus": {
            "label": "Quality",
            "qualityStatus": "OK",
            "value": "OK",
        },
        "frontLeft": _tyre("Front left", "5.1 mm"),
        "frontRight": _tyre("Front right", "5.0 mm"),
        "rearLeft": _tyre("Rear left", "4.2 mm"),
        "rearRight": _tyre("Rear right", "4.3 mm"),
    }
    return {"passengerCar": {"mountedTyres": mounted}, "errors": []}


def lbcs(vehicle: Vehicle, gcid: str, now: dt.datetime) -> dict[str, Any]:
    """LocationBasedChargingSettingsDto with one home location."""
    return {
        "data": [
            {
                "id": "home-1",
                "lastUpdated": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "clusterLocationId": "cluster-1",
                "latitude": HOME[0],
                "longitude": HOME[1],
                "lastVisit": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "visits": 42,
                "chargingMode": "IMMEDIATE_CHARGING",
                "optimizedChargingPreference": "NO_PRESELECTION",
                "startChargingTimePeriodHour": 22,
                "startChargingTimePeriodMinute": 0,
                "stopChargingTimePeriodHour": 6,
                "stopChargingTimePeriodMinute": 0,
                "vehicleIdWithGcid": f"{vehicle.vin}_{gcid}",
                "chargingTimeWindows": [
                    {
                        "startChargingTimePeriodHour": 22,
                        "startChargingTimePeriodMinute": 0,
                        "stopChargingTimePeriodHour": 6,
                        "stopChargingTimePeriodMinute": 0,
                    }
                ],
                "acCurrentLimitFlag": "ON",
                "acCurrentLimit": 16.0,
                "acousticLimit": "UNLIMITED",
                "flapLock": "AUTOMATIC",
                "chargingPlug": "AC_TYPE2PLUG",
            }
        ]
    }
