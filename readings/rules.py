"""What may be stored: the checks every reading passes, whichever way it arrived."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from devices.models import FIELD_NUMBERS, HUMIDITY, PRESSURE, TEMPERATURE, Field
from iotserver.refusals import Refused
from iotserver.times import parse_moment

# Beyond these a sensor is broken or misread, not measuring weather. Temperature in °C
# (Earth's records are -89.2 and 56.7), pressure in hPa, relative humidity in %.
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    TEMPERATURE: (-90.0, 70.0),
    PRESSURE: (300.0, 1100.0),
    HUMIDITY: (0.0, 100.0),
}
# A board whose clock runs a little fast is not lying about the future.
CLOCK_SKEW = timedelta(minutes=2)
MAX_VALUE_TEXT = 32
MAX_BATCH = 1000  # readings per request: a day of minutes from one board fits in two

# ASCII digits only: \d alone also matches other scripts' digits ("٢١"), which float() would read.
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?", re.ASCII)
_FIELD = re.compile(r"\d{1,2}", re.ASCII)


@dataclass(frozen=True)
class NewReading:
    field: int
    value: float
    recorded_at: datetime | None = None  # None: the server stamps it on arrival


@dataclass(frozen=True)
class EntryExtras:
    """A ThingSpeak entry's status text and location, any of them empty; stored as an EntryNote.

    record_readings takes one as `extras` (one update: its readings share one moment, and a
    moment the device already holds other readings at is refused, as ThingSpeak refuses an
    update at a created_at its channel holds), or several as `notes` by moment (bulk updates,
    imports).
    """

    status: str = ""
    latitude: float | None = None
    longitude: float | None = None
    elevation: float | None = None

    @property
    def noted(self) -> bool:
        """True when there is anything to store beside the readings."""
        return bool(self.status) or any(
            value is not None for value in (self.latitude, self.longitude, self.elevation)
        )


def parse_field(text: str) -> int:
    if not _FIELD.fullmatch(text) or int(text) not in FIELD_NUMBERS:
        raise Refused(f"field must be a whole number from 1 to 8, not {text[:20]!r}")
    return int(text)


def parse_value(text: str) -> float:
    """A reading's value from text, as boards send str(float): plain decimal notation only."""
    if len(text) > MAX_VALUE_TEXT or not _DECIMAL.fullmatch(text):
        raise Refused(f"data must be a number, not {text[:20]!r}")
    return float(text)


def value_from(raw: object) -> float:
    """A reading's value as JSON, ThingSpeak clients and old databases give it: a number, or text
    holding one; never a boolean (JSON's true would otherwise pass as 1.0)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            return float(raw)
        except OverflowError:  # an integer of 400 digits is valid JSON
            raise Refused("data is too large to be a reading") from None
    if isinstance(raw, str):
        return parse_value(raw.strip())
    raise Refused("data must be a number")


def earliest_time() -> datetime:
    return parse_moment(settings.READINGS_EARLIEST, what="READINGS_EARLIEST")


def check_reading(
    reading: NewReading, *, fields: dict[int, Field], received_at: datetime, earliest: datetime | None = None
) -> None:
    """Raise Refused unless this reading may be stored for a device with these fields.

    `earliest` replaces READINGS_EARLIEST for imports, whose times come from a server's clock
    (the Flask server's history starts in 2018), not from a board that may never have set its own.
    """
    shown_earliest = settings.READINGS_EARLIEST if earliest is None else f"{earliest:%Y-%m-%d}"
    earliest = earliest or earliest_time()
    if reading.field not in FIELD_NUMBERS:
        raise Refused(f"field must be from 1 to 8, not {reading.field}")
    field = fields.get(reading.field)
    if field is None:
        raise Refused(f"field {reading.field} is not set up for this device; add it in the admin")
    if not math.isfinite(reading.value):
        raise Refused("data must be a finite number")
    low, high = PLAUSIBLE_RANGES.get(field.kind, (-math.inf, math.inf))
    if not low <= reading.value <= high:
        raise Refused(f"{reading.value:g} is not a plausible {field.kind} (allowed {low:g} to {high:g})")
    if reading.recorded_at is not None:
        if reading.recorded_at > received_at + CLOCK_SKEW:
            raise Refused("recorded_at is in the future; is the board's clock set?")
        if reading.recorded_at < earliest:
            raise Refused(f"recorded_at is before {shown_earliest}; is the board's clock set?")
