"""ThingSpeak's read parameters and answer shapes, over the readings selectors.

A ThingSpeak entry is one row with up to eight fields; here each value is a Reading. An entry is
the readings of one device that share a moment (one update stores them together), and its
entry_id is the smallest of their ids, which is also what /update answered for it.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.utils.timezone import now

from devices.models import Device
from iotserver.refusals import Refused
from iotserver.times import parse_moment, shifted, zone_of
from readings.models import Reading
from readings.selectors import latest_entries, readings_between

_WHOLE = re.compile(r"-?\d{1,6}", re.ASCII)  # ASCII only: '²'.isdigit() is True and int('²') fails
MAX_RESULTS = 8000
DEFAULT_RESULTS = 100
# ThingSpeak's steps for average, median, sum and timescale, in minutes; "daily" is 1440 in local days.
STEPS = {
    "10": 10,
    "15": 15,
    "20": 20,
    "30": 30,
    "60": 60,
    "240": 240,
    "720": 720,
    "1440": 1440,
    "daily": 1440,
}
# Each reduces the values of one field in one step to one value.
REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "average": statistics.fmean,
    "median": statistics.median,
    "sum": sum,
    "timescale": lambda values: values[0],  # ThingSpeak's timescale: the first value of each step
}


@dataclass(frozen=True)
class FeedQuery:
    results: int
    start: datetime | None
    end: datetime | None
    zone: tzinfo
    decimals: int | None
    reducer: str | None
    step_minutes: int


@dataclass
class Entry:
    created_at: datetime
    entry_id: int | None
    values: dict[int, float]


def _int(params, name: str, low: int, high: int) -> int | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise Refused(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _number(params, name: str) -> float | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 100_000:
        raise Refused(f"{name} must be a positive number")
    return value


def parse_query(params) -> FeedQuery:
    """The feed parameters, or Refused naming the first one that is wrong."""
    zone = zone_of(params)
    results = _int(params, "results", 1, MAX_RESULTS)
    end = parse_moment(params["end"], what="end", zone=zone) if params.get("end") else None
    start = parse_moment(params["start"], what="start", zone=zone) if params.get("start") else None
    days, minutes = _number(params, "days"), _number(params, "minutes")
    if start is None and (days or minutes):
        start = shifted(end or now(), -timedelta(days=days or 0, minutes=minutes or 0), "start")
    if start and end and start > end:
        raise Refused("start is after end")
    chosen = [name for name in REDUCERS if params.get(name)]
    if len(chosen) > 1:
        raise Refused("use only one of average, median, sum and timescale")
    reducer = chosen[0] if chosen else None
    step = 0
    if reducer:
        step = STEPS.get(params[reducer], 0)
        if not step:
            raise Refused(f"{reducer} must be one of {', '.join(STEPS)}")
    return FeedQuery(
        results=results or DEFAULT_RESULTS,
        start=start,
        end=end,
        zone=zone,
        decimals=_int(params, "round", 0, 10),
        reducer=reducer,
        step_minutes=step,
    )


def group_entries(readings: Iterable[Reading]) -> list[Entry]:
    entries: list[Entry] = []
    for reading in readings:
        if not entries or entries[-1].created_at != reading.recorded_at:
            entries.append(Entry(reading.recorded_at, reading.id, {}))
        entry = entries[-1]
        entry.entry_id = min(entry.entry_id, reading.id)  # type: ignore[type-var]  # grouped entries have ids
        entry.values[reading.field] = reading.value
    return entries


def _step_start(moment: datetime, zone: tzinfo, minutes: int) -> datetime:
    """The start of the step holding `moment`, steps counted from local midnight in `zone`."""
    local = moment.astimezone(zone)
    since_midnight = local.hour * 60 + local.minute
    start = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=since_midnight // minutes * minutes
    )
    return start


def reduce_entries(readings: Iterable[Reading], query: FeedQuery) -> list[Entry]:
    """One entry per step that holds readings, each field reduced as the query asks."""
    steps: dict[datetime, dict[int, list[float]]] = {}
    for reading in readings:
        step = _step_start(reading.recorded_at, query.zone, query.step_minutes)
        steps.setdefault(step, {}).setdefault(reading.field, []).append(reading.value)
    reduce = REDUCERS[query.reducer]  # type: ignore[index]  # only called when the query names a reducer
    entries = [
        Entry(start, None, {field: reduce(values) for field, values in fields.items()})
        for start, fields in sorted(steps.items())
    ]
    return entries[-query.results :]


def feed_entries(*, device: Device, query: FeedQuery, field: int | None = None) -> list[Entry]:
    if query.reducer is None:
        return group_entries(
            latest_entries(
                device_id=device.pk, limit=query.results, start=query.start, end=query.end, field=field
            )
        )
    # Without a range, the last `results` steps: what a chart of averages asks for.
    start = query.start or (query.end or now()) - timedelta(minutes=query.step_minutes * query.results)
    rows = readings_between(device_id=device.pk, start=start, end=query.end, field=field)
    return reduce_entries(rows.iterator(chunk_size=2000), query)


def last_entry(*, device: Device, field: int | None = None) -> Entry | None:
    entries = group_entries(latest_entries(device_id=device.pk, limit=1, field=field))
    return entries[0] if entries else None


def format_time(moment: datetime, zone: tzinfo) -> str:
    text = moment.astimezone(zone).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zone is UTC else text


def format_value(value: float | None, decimals: int | None) -> str | None:
    if value is None:
        return None
    if decimals is not None:
        return f"{value:.{decimals}f}"
    return repr(value)


def field_numbers(device: Device, field: int | None = None) -> list[int]:
    if field is not None:
        return [field]
    return [f.number for f in device.fields.all()]


def channel_object(device: Device, zone: tzinfo) -> dict:
    channel = {"id": device.pk, "name": device.name, "description": device.location}
    for f in device.fields.all():
        channel[f"field{f.number}"] = f.label
    channel["created_at"] = format_time(device.created_at, zone)
    channel["updated_at"] = format_time(device.last_seen, zone) if device.last_seen else None
    latest = last_entry(device=device)
    channel["last_entry_id"] = latest.entry_id if latest else None
    return channel


def entry_object(entry: Entry, numbers: list[int], query: FeedQuery | None, zone: tzinfo) -> dict:
    decimals = query.decimals if query else None
    found = {"created_at": format_time(entry.created_at, zone), "entry_id": entry.entry_id}
    for number in numbers:
        found[f"field{number}"] = format_value(entry.values.get(number), decimals)
    return found


def entries_csv(entries: list[Entry], numbers: list[int], query: FeedQuery | None, zone: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [f"field{n}" for n in numbers]
    writer.writerow(["created_at", "entry_id", *columns])
    for entry in entries:
        row = entry_object(entry, numbers, query, zone)
        writer.writerow([row["created_at"], row["entry_id"] or "", *(row[c] or "" for c in columns)])
    return out.getvalue()
