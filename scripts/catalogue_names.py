"""Entity and state names (English, German) for the catalogue descriptors.

Our own short names, in the style of Home Assistant's entity names. Used by
``generate_catalogue.py --translations`` to write the ``entity`` section of
``translations/en.json`` and ``translations/de.json``. Repeating groups
(doors, seats, tyres, charging ports, timers) are composed from a position
glossary; everything else is named by hand in ``catalogue_names.tsv``, enum
states in ``catalogue_states.tsv``.
"""

from __future__ import annotations

from pathlib import Path

type Pair = tuple[str, str]

# Seat / door positions: descriptor words -> (English, German).
SEATS: dict[str, Pair] = {
    "row1_driver": ("front driver", "vorne Fahrerseite"),
    "row1_passenger": ("front passenger", "vorne Beifahrerseite"),
    "row2_driver": ("rear driver", "hinten Fahrerseite"),
    "row2_passenger": ("rear passenger", "hinten Beifahrerseite"),
    "row3_driver": ("third row driver", "3. Reihe Fahrerseite"),
    "row3_passenger": ("third row passenger", "3. Reihe Beifahrerseite"),
}
WHEELS: dict[str, Pair] = {
    "row1_wheel_left": ("front left", "vorne links"),
    "row1_wheel_right": ("front right", "vorne rechts"),
    "row2_wheel_left": ("rear left", "hinten links"),
    "row2_wheel_right": ("rear right", "hinten rechts"),
}
PORTS: dict[str, Pair] = {
    "any_position": ("", ""),
    "front_left": ("front left", "vorne links"),
    "front_middle": ("front middle", "vorne Mitte"),
    "front_right": ("front right", "vorne rechts"),
    "rear_left": ("rear left", "hinten links"),
    "rear_middle": ("rear middle", "hinten Mitte"),
    "rear_right": ("rear right", "hinten rechts"),
}
TIMERS: dict[str, Pair] = {
    "overwrite_timer": ("Next climate timer", "Nächster Klimatimer"),
    "weekdays_timer1": ("Climate timer 1", "Klimatimer 1"),
    "weekdays_timer2": ("Climate timer 2", "Klimatimer 2"),
}
PRESETS: dict[str, Pair] = {
    "precond_default": ("Climate preset", "Klimavorgabe"),
    "precond_direct": ("Instant climate", "Sofortklima"),
}


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def composed() -> dict[str, Pair]:
    """Names of the repeating descriptor groups."""
    names: dict[str, Pair] = {}
    for pos, (en, de) in SEATS.items():
        side = pos.replace("_driver", "_driver_side").replace(
            "_passenger", "_passenger_side"
        )
        if pos.startswith(("row1", "row2")):
            names[f"cabin_door_{pos}_is_open"] = (_cap(f"{en} door"), f"Tür {de}")
            names[f"cabin_door_{pos}_position"] = (
                _cap(f"{en} door position"),
                f"Türstellung {de}",
            )
            names[f"cabin_window_{pos}_status"] = (
                _cap(f"{en} window"),
                f"Fenster {de}",
            )
        names[f"cabin_seat_{side}_heating"] = (
            _cap(f"{en} seat heating"),
            f"Sitzheizung {de}",
        )
        names[f"cabin_seat_{side}_cooling"] = (
            _cap(f"{en} seat ventilation"),
            f"Sitzbelüftung {de}",
        )
        for preset, (pen, pde) in PRESETS.items():
            names[f"{preset}_seat_{side}_heating"] = (
                f"{pen} seat heating {en}",
                f"{pde} Sitzheizung {de}",
            )
            names[f"{preset}_seat_{side}_cooling"] = (
                f"{pen} seat ventilation {en}",
                f"{pde} Sitzbelüftung {de}",
            )
    for preset, (pen, pde) in PRESETS.items():
        names[f"{preset}_steering_wheel_heating"] = (
            f"{pen} steering wheel heating",
            f"{pde} Lenkradheizung",
        )
        names[f"{preset}_target_temperature"] = (
            f"{pen} target temperature",
            f"{pde} Zieltemperatur",
        )
    for pos, (en, de) in WHEELS.items():
        names[f"axle_{pos}_tire_pressure"] = (
            _cap(f"{en} tyre pressure"),
            f"Reifendruck {de}",
        )
        names[f"axle_{pos}_tire_pressure_target"] = (
            _cap(f"{en} tyre target pressure"),
            f"Reifensolldruck {de}",
        )
        names[f"axle_{pos}_tire_temperature"] = (
            _cap(f"{en} tyre temperature"),
            f"Reifentemperatur {de}",
        )
    for pos, (en, de) in PORTS.items():
        names[f"charging_port_{pos}_is_plugged"] = (
            _join("Charging plug", en),
            _join("Ladestecker", de),
        )
        names[f"charging_port_{pos}_flap_is_open"] = (
            _join("Charging flap", en),
            _join("Ladeklappe", de),
        )
        names[f"charging_port_{pos}_flap_is_automatic_open_and_close_active"] = (
            _join("Automatic charging flap", en),
            _join("Automatische Ladeklappe", de),
        )
    for timer, (en, de) in TIMERS.items():
        base = f"cabin_climate_timers_{timer}"
        names[f"{base}_action"] = (f"{en} action", f"{de} Aktion")
        names[f"{base}_hour"] = (f"{en} hour", f"{de} Stunde")
        names[f"{base}_minute"] = (f"{en} minute", f"{de} Minute")
    return names


HERE = Path(__file__).resolve().parent


def _read_tsv(name: str) -> list[list[str]]:
    """Rows of a tab-separated data file next to this script (# = comment)."""
    text = (HERE / name).read_text(encoding="utf-8")
    return [
        line.split("\t")
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]


# Hand names for everything else, by translation key.
NAMES: dict[str, Pair] = {
    key: (en, de) for key, en, de in _read_tsv("catalogue_names.tsv")
}
# English state names where the word itself does not read well, and German
# state names (missing ones fall back to English in Home Assistant).
STATE_EN: dict[str, str] = {}
STATE_DE: dict[str, str] = {}
for _state, _en, _de in _read_tsv("catalogue_states.tsv"):
    if _en:
        STATE_EN[_state] = _en
    if _de:
        STATE_DE[_state] = _de

# Acronyms kept upper-case in state names.
ACRONYMS = frozenset(
    {"ac", "dc", "hv", "hvs", "soc", "soe", "co2", "evse", "plc", "hmi", "gbt"}
    | {"ccs", "tls", "ipf", "dcdc", "lt3", "pe", "pwm", "imo", "bpt", "ecu", "nvm"}
    | {"xml", "gps", "utc", "2d", "3d", "400v", "800v", "fusi", "cst"}
)


def state_en(state: str) -> str:
    """English name of an enum state."""
    if state in STATE_EN:
        return STATE_EN[state]
    words = [w.upper() if w in ACRONYMS else w for w in state.split("_") if w]
    return _cap(" ".join(words))
