"""ThingSpeak's update parameters as readings: what /update, bulk updates and MQTT publishes carry."""

from __future__ import annotations

from devices.models import FIELD_NUMBERS
from iotserver.refusals import Refused
from iotserver.times import parse_moment, zone_of
from readings.rules import NewReading, value_from


def _value(raw: object, name: str) -> float:
    try:
        return value_from(raw)
    except Refused:
        raise Refused(f"{name} must be a number") from None


def update_readings(params) -> list[NewReading]:
    """An update's fields as readings, all at one moment. status, lat, long and elevation are ignored."""
    recorded_at = (
        parse_moment(params["created_at"], what="created_at", zone=zone_of(params))
        if params.get("created_at")
        else None
    )
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
