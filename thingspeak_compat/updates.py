"""ThingSpeak's update parameters as readings and extras: what /update, bulk updates and MQTT carry."""

from __future__ import annotations

import math
import re
from datetime import datetime

from devices.models import FIELD_NUMBERS
from iotserver.refusals import Refused
from iotserver.times import parse_moment, zone_of
from readings.rules import EntryExtras, NewReading, value_from

MAX_STATUS = 255  # ThingSpeak's status, like its fields, holds up to 255 characters
LOCATION_RANGES = {"lat": (-90.0, 90.0), "long": (-180.0, 180.0), "elevation": (-12_000.0, 100_000.0)}


def _value(raw: object, name: str) -> float:
    # ThingSpeak's fields hold any text; a weather station's fields hold measurements, which the
    # charts, rollups and alerts compute with. Text belongs in status, so a field refuses it.
    try:
        return value_from(raw)
    except Refused:
        raise Refused(f"{name} must be a number (text goes in status)") from None


# "2026-11-20 10:00:00+01" sent unencoded in a form, as the Arduino library sends created_at,
# arrives with its "+" read as a space.
_PLUS_READ_AS_SPACE = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?) (\d\d(?::?\d\d)?)", re.ASCII)


def _created_at(params) -> datetime | None:
    raw = params.get("created_at")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        raw = (
            _PLUS_READ_AS_SPACE.sub(r"\1+\2", raw.strip())
            if _PLUS_READ_AS_SPACE.fullmatch(raw.strip())
            else raw
        )
    return parse_moment(raw, what="created_at", zone=zone_of(params))


def update_readings(params) -> list[NewReading]:
    """An update's fields as readings, all at one moment."""
    recorded_at = _created_at(params)
    readings = []
    for number in FIELD_NUMBERS:
        raw = params.get(f"field{number}")
        if raw is not None and raw != "":
            readings.append(
                NewReading(field=number, value=_value(raw, f"field{number}"), recorded_at=recorded_at)
            )
    if not readings:
        raise Refused("no field1..field8 in the update")
    return readings


def _place(params, name: str, *aliases: str) -> float | None:
    """`lat`, `long` or `elevation` (or `latitude`, `longitude`), a number in its plausible range."""
    raw = next((params.get(n) for n in (name, *aliases) if params.get(n) not in (None, "")), None)
    if raw is None:
        return None
    low, high = LOCATION_RANGES[name]
    try:
        value = math.nan if isinstance(raw, bool) else float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not low <= value <= high:
        raise Refused(f"{name} must be a number from {low:g} to {high:g}")
    return value


def update_extras(params) -> EntryExtras:
    """The update's status and location: ThingSpeak's `status`, `lat`, `long`, `elevation`."""
    status = params.get("status")
    if status is None:
        status = ""
    if not isinstance(status, str):
        raise Refused("status must be text")
    if len(status) > MAX_STATUS:
        raise Refused(f"status must be at most {MAX_STATUS} characters")
    return EntryExtras(
        status=status,
        latitude=_place(params, "lat", "latitude"),
        longitude=_place(params, "long", "longitude"),
        elevation=_place(params, "elevation"),
    )
