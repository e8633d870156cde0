"""ThingSpeak's read parameters and answer shapes, over the readings selectors.

A ThingSpeak entry is one row with up to eight fields; here each value is a Reading. An entry is
the readings of one device that share a moment (one update stores them together), its status and
location are an EntryNote at that moment, and its entry_id is the smallest of its readings' ids,
which is also what /update answered for it.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta, tzinfo
from xml.etree import ElementTree

from django.db.models import Min
from django.utils.timezone import now

from devices.models import Device
from iotserver.refusals import Refused
from iotserver.times import parse_moment, shifted, zone_of
from readings import rollups
from readings.models import EntryNote, Reading, Rollup
from readings.rules import parse_value
from readings.selectors import latest_entries, readings_between

_WHOLE = re.compile(r"-?\d{1,9}", re.ASCII)  # ASCII only: '²'.isdigit() is True and int('²') fails
MAX_RESULTS = 8000
# ThingSpeak's page without results: 100 entries, or up to 8000 when a range is asked for.
DEFAULT_RESULTS = 100
RANGE_PARAMS = ("days", "minutes", "start", "end")
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
# Reducers the rollups answer exactly: their buckets keep each field's total and count.
FROM_ROLLUPS = ("average", "sum")
# Spreadsheets run a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class FeedQuery:
    limit: int  # the entries read: `results` (clamped to 8000), else 100, or 8000 for a range
    results_given: bool
    start: datetime | None
    end: datetime | None
    zone: tzinfo
    decimals: int | None
    reducer: str | None
    step_minutes: int
    status: bool = False
    location: bool = False
    metadata: bool = False
    low: float | None = None  # ThingSpeak's min and max: entries with a value outside are left out
    high: float | None = None


@dataclass
class Note:
    status: str = ""
    latitude: float | None = None
    longitude: float | None = None
    elevation: float | None = None


@dataclass
class Entry:
    created_at: datetime
    entry_id: int | None
    values: dict[int, float]
    note: Note = dataclass_field(default_factory=Note)


def _whole(params, name: str, low: int, high: int, *, clamp: bool = False) -> int | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    if not _WHOLE.fullmatch(text) or int(text) < low or (int(text) > high and not clamp):
        raise Refused(f"{name} must be a whole number from {low} to {high}")
    return min(int(text), high)


def _positive(params, name: str) -> float | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    try:
        value = parse_value(str(text))  # ASCII decimals only: float() reads '٢' as 2
    except Refused:
        value = -1.0
    if not 0 < value < 100_000:
        raise Refused(f"{name} must be a positive number")
    return value


def _bound(params, name: str) -> float | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    try:
        value = parse_value(str(text))  # ASCII decimals only: float() reads '٢' as 2
    except Refused:
        raise Refused(f"{name} must be a number") from None
    if value != value or abs(value) == float("inf"):
        raise Refused(f"{name} must be a number")
    return value


def _true(params, name: str) -> bool:
    return str(params.get(name, "")).lower() == "true"


def parse_query(params) -> FeedQuery:
    """The feed parameters, or Refused naming the first one that is wrong."""
    zone = zone_of(params)
    # ThingSpeak clamps results above 8000 rather than refusing them.
    results = _whole(params, "results", 0, MAX_RESULTS, clamp=True)
    end = parse_moment(params["end"], what="end", zone=zone) if params.get("end") else None
    start = parse_moment(params["start"], what="start", zone=zone) if params.get("start") else None
    days, minutes = _positive(params, "days"), _positive(params, "minutes")
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
    if results is not None:
        limit = results
    elif any(params.get(name) for name in RANGE_PARAMS):
        limit = MAX_RESULTS
    else:
        limit = DEFAULT_RESULTS
    return FeedQuery(
        limit=limit,
        results_given=results is not None,
        start=start,
        end=end,
        zone=zone,
        decimals=_whole(params, "round", 0, 10),
        reducer=reducer,
        step_minutes=step,
        status=_true(params, "status"),
        location=_true(params, "location"),
        metadata=_true(params, "metadata"),
        low=_bound(params, "min"),
        high=_bound(params, "max"),
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


def _with_whole_entry_ids(device: Device, entries: list[Entry]) -> list[Entry]:
    """A field's entries carry the id of their whole entry: the smallest id of all its fields."""
    if not entries:
        return entries
    firsts = dict(
        Reading.objects.filter(
            device=device, recorded_at__gte=entries[0].created_at, recorded_at__lte=entries[-1].created_at
        )
        .values("recorded_at")
        .annotate(first=Min("id"))
        .order_by()
        .values_list("recorded_at", "first")
    )
    for entry in entries:
        entry.entry_id = firsts.get(entry.created_at, entry.entry_id)
    return entries


def _with_notes(device: Device, entries: list[Entry]) -> list[Entry]:
    """Each entry with its status and location, from one query over the entries' time range."""
    if not entries:
        return entries
    notes = EntryNote.objects.filter(
        device=device, recorded_at__gte=entries[0].created_at, recorded_at__lte=entries[-1].created_at
    ).order_by("recorded_at", "id")
    by_time = {note.recorded_at: note for note in notes}
    for entry in entries:
        found = by_time.get(entry.created_at)
        if found is not None:
            entry.note = Note(found.status, found.latitude, found.longitude, found.elevation)
    return entries


def _step_start(moment: datetime, zone: tzinfo, minutes: int) -> datetime:
    """The start of the step holding `moment`, steps counted from local midnight in `zone`."""
    local = moment.astimezone(zone)
    since_midnight = local.hour * 60 + local.minute
    start = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=since_midnight // minutes * minutes
    )
    return start


def reduce_entries(entries: Iterable[Entry], query: FeedQuery) -> list[Entry]:
    """One entry per step that holds entries, each field reduced as the query asks."""
    steps: dict[datetime, dict[int, list[float]]] = {}
    for entry in entries:
        step = _step_start(entry.created_at, query.zone, query.step_minutes)
        for number, value in entry.values.items():
            steps.setdefault(step, {}).setdefault(number, []).append(value)
    reduce = REDUCERS[query.reducer]  # type: ignore[index]  # only called when the query names a reducer
    return [
        Entry(start, None, {number: reduce(values) for number, values in fields.items()})
        for start, fields in sorted(steps.items())
    ]


def _rollup_level(query: FeedQuery, start: datetime, end: datetime) -> int:
    """The coarsest rollup width (seconds) whose buckets each lie inside one step of the query.

    Steps start at local midnight: a bucket fits when the step is a whole number of buckets and
    the zone's offset, at both ends of the range, is a whole number of buckets too.
    """
    step = query.step_minutes * 60
    offsets = {
        int((moment.astimezone(query.zone).utcoffset() or timedelta(0)).total_seconds())
        for moment in (start, end)
    }
    for level in reversed(rollups.WIDTHS):
        if step % level == 0 and all(offset % level == 0 for offset in offsets):
            return level
    return rollups.WIDTHS[0]


def _rollup_steps(*, device: Device, query: FeedQuery, field: int | None) -> list[Entry]:
    """Average or sum per step over the whole range, from the rollups and the raw readings at its edges.

    The range is cut to the last 8000 steps (the most a page holds), so a request reads at most
    8000 steps' worth of buckets, whatever the years of readings behind it.
    """
    assert query.start is not None, "called only for a query with a range"
    end = query.end or now()
    start = max(query.start, end - timedelta(minutes=query.step_minutes * MAX_RESULTS))
    level = _rollup_level(query, start, end)
    first = -(-rollups.epoch_seconds(start) // level)  # the first whole bucket at or after start
    after = (rollups.epoch_seconds(end) + 1) // level  # whole buckets end at or before end
    sums: dict[datetime, dict[int, list[float]]] = {}

    def add(moment: datetime, number: int, total: float, count: int) -> None:
        step = _step_start(moment, query.zone, query.step_minutes)
        found = sums.setdefault(step, {}).setdefault(number, [0.0, 0])
        found[0] += total
        found[1] += count

    edges = [(start, end)]
    if first < after:
        # Each field named, so the lookup walks (device, field, width, bucket) of the rollups'
        # unique index rather than every rollup of the device.
        numbers = [field] if field is not None else field_numbers(device)
        rows = Rollup.objects.filter(
            device=device, field__in=numbers, width=level, bucket__gte=first, bucket__lt=after
        )
        for number, bucket, total, count in rows.values_list("field", "bucket", "total", "count"):
            add(rollups.EPOCH + timedelta(seconds=bucket * level), number, total, count)
        inner_start = rollups.EPOCH + timedelta(seconds=first * level)
        inner_end = rollups.EPOCH + timedelta(seconds=after * level)
        edges = [(start, inner_start - timedelta(microseconds=1)), (inner_end, end)]
    for low, high in edges:
        if low <= high:
            for reading in readings_between(device_id=device.pk, start=low, end=high, field=field):
                add(reading.recorded_at, reading.field, reading.value, 1)
    entries = []
    for step, fields in sorted(sums.items()):
        if query.reducer == "sum":
            values = {number: total for number, (total, _) in fields.items()}
        else:
            values = {number: total / count for number, (total, count) in fields.items()}
        entries.append(Entry(step, None, values))
    return entries[-MAX_RESULTS:]


def _in_bounds(entry: Entry, query: FeedQuery) -> bool:
    return all(
        (query.low is None or value >= query.low) and (query.high is None or value <= query.high)
        for value in entry.values.values()
    )


def feed_entries(*, device: Device, query: FeedQuery, field: int | None = None) -> list[Entry]:
    """The entries a feed shows, oldest first.

    Raw entries: the latest `limit` in the range. Average and sum over a range without
    `results` come from the rollups, for the whole range; otherwise, as ThingSpeak does, the
    reducers work on the latest `limit` raw entries (at most 8000), so no request reads more.
    """
    if query.reducer in FROM_ROLLUPS and query.start is not None and not query.results_given:
        return [e for e in _rollup_steps(device=device, query=query, field=field) if _in_bounds(e, query)]
    entries = group_entries(
        latest_entries(device_id=device.pk, limit=query.limit, start=query.start, end=query.end, field=field)
    )
    if query.reducer is not None:
        entries = reduce_entries(entries, query)
    else:
        if field is not None:
            entries = _with_whole_entry_ids(device, entries)
        if query.status or query.location:
            entries = _with_notes(device, entries)
    return [entry for entry in entries if _in_bounds(entry, query)]


def last_entry(*, device: Device, field: int | None = None) -> Entry | None:
    entries = group_entries(latest_entries(device_id=device.pk, limit=1, field=field))
    if not entries:
        return None
    if field is not None:
        _with_whole_entry_ids(device, entries)
    return _with_notes(device, entries)[0]


def entry_by_id(*, device: Device, entry_id: int) -> Entry | None:
    """The entry whose id (its first reading's) this is; None when no entry of the device has it."""
    first = Reading.objects.filter(device=device, pk=entry_id).values_list("recorded_at", flat=True).first()
    if first is None:
        return None
    entries = group_entries(readings_between(device_id=device.pk, start=first, end=first))
    if not entries or entries[0].entry_id != entry_id:
        return None
    return _with_notes(device, entries)[0]


def status_entries(*, device: Device, query: FeedQuery) -> list[Entry]:
    """The latest entries that carry a status (ThingSpeak's status feed), oldest first."""
    notes = EntryNote.objects.filter(device=device).exclude(status="")
    if query.start is not None:
        notes = notes.filter(recorded_at__gte=query.start)
    if query.end is not None:
        notes = notes.filter(recorded_at__lte=query.end)
    latest = list(notes.order_by("-recorded_at", "-id")[: query.limit])
    return [
        Entry(note.recorded_at, note.first_reading_id, {}, Note(note.status)) for note in reversed(latest)
    ]


def format_time(moment: datetime, zone: tzinfo) -> str:
    text = moment.astimezone(zone).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zone is UTC else text


def format_value(value: float | None, decimals: int | None) -> str | None:
    """A value as ThingSpeak's text: the shortest that reads back the same, rid of float noise."""
    if value is None:
        return None
    if decimals is not None:
        return f"{value:.{decimals}f}"
    # Sums and means of decimals carry binary noise (617.6999999999999): twelve significant
    # digits are far more than any sensor measures.
    return repr(float(f"{value:.12g}"))


def field_numbers(device: Device, field: int | None = None) -> list[int]:
    if field is not None:
        return [field]
    return [f.number for f in device.fields.all()]


def channel_object(device: Device, zone: tzinfo, query: FeedQuery | None = None) -> dict:
    channel = {"id": device.pk, "name": device.name, "description": device.location}
    for f in device.fields.all():
        channel[f"field{f.number}"] = f.label
    channel["created_at"] = format_time(device.created_at, zone)
    channel["updated_at"] = format_time(device.last_seen, zone) if device.last_seen else None
    latest = group_entries(latest_entries(device_id=device.pk, limit=1))
    channel["last_entry_id"] = latest[0].entry_id if latest else None
    if query is not None and query.metadata:
        channel["metadata"] = ""
    return channel


def _number_text(value: float | None) -> str | None:
    return None if value is None else repr(value)


def entry_object(
    entry: Entry, numbers: list[int], query: FeedQuery | None, zone: tzinfo, *, everything: bool = False
) -> dict:
    """One entry as ThingSpeak writes it: values as text; status and location when asked for."""
    decimals = query.decimals if query else None
    found: dict = {"created_at": format_time(entry.created_at, zone)}
    if not (query and query.reducer):
        found["entry_id"] = entry.entry_id
    for number in numbers:
        found[f"field{number}"] = format_value(entry.values.get(number), decimals)
    if everything or (query and query.location):
        found["latitude"] = _number_text(entry.note.latitude)
        found["longitude"] = _number_text(entry.note.longitude)
        found["elevation"] = _number_text(entry.note.elevation)
    if everything or (query and query.status):
        found["status"] = entry.note.status or None
    return found


def safe_cell(text: object) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading quote.

    Numbers are left as they are, so -3.5 stays a number.
    """
    if text is None:
        return ""
    text = str(text)
    if text.startswith(FORMULA_STARTS):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def entries_csv(entries: list[Entry], numbers: list[int], query: FeedQuery | None, zone: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    rows = [entry_object(entry, numbers, query, zone) for entry in entries]
    columns = list(rows[0]) if rows else list(entry_object(Entry(now(), None, {}), numbers, query, zone))
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row[column]) for column in columns])
    return out.getvalue()


_XML_TIMES = ("created_at", "updated_at")


def _xml_element(parent, name: str, value: object):
    element = ElementTree.SubElement(parent, name.replace("_", "-"))
    if value is None:
        element.set("nil", "true")
    elif isinstance(value, bool):
        element.set("type", "boolean")
        element.text = str(value).lower()
    elif isinstance(value, int):
        element.set("type", "integer")
        element.text = str(value)
    else:
        if name in _XML_TIMES:
            element.set("type", "dateTime")
        element.text = str(value)
    return element


def as_xml(root: str, found: dict, entries: list[dict] | None = None) -> str:
    """ThingSpeak's XML (Rails' to_xml): dashed names, typed integers and times, nil="true" for null."""
    element = ElementTree.Element(root)
    for name, value in found.items():
        _xml_element(element, name, value)
    if entries is not None:
        listed = ElementTree.SubElement(element, "feeds", type="array")
        for entry in entries:
            feed = ElementTree.SubElement(listed, "feed")
            for name, value in entry.items():
                _xml_element(feed, name, value)
    ElementTree.indent(element)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(element, encoding="unicode") + "\n"
    )
