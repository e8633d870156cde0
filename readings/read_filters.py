"""The filters a reader may put on a device's readings (start, end, field), parsed once for every surface."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from devices.models import FIELD_NUMBERS
from iotserver.refusals import Refused
from iotserver.times import parse_moment

_WHOLE = re.compile(r"\d{1,3}", re.ASCII)  # ASCII only: '²'.isdigit() is True and int('²') fails


@dataclass(frozen=True)
class ReadingFilters:
    start: datetime | None = None
    end: datetime | None = None
    field: int | None = None


def parse_field_number(text: object, *, what: str = "field") -> int:
    """A field number 1..8 from a query parameter."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text) or int(text) not in FIELD_NUMBERS:
        raise Refused(f"{what} must be a whole number from 1 to 8")
    return int(text)


def parse_reading_filters(params) -> ReadingFilters:
    """`start`, `end` (ISO 8601 or epoch seconds) and `field` of a query; Refused names the first wrong."""
    moments: dict[str, datetime | None] = {}
    for name in ("start", "end"):
        text = params.get(name)
        moments[name] = parse_moment(text, what=name) if text else None
    start, end = moments["start"], moments["end"]
    if start and end and start > end:
        raise Refused("start is after end")
    field = params.get("field")
    return ReadingFilters(start=start, end=end, field=parse_field_number(field) if field else None)
