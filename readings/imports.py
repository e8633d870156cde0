"""Imports of history kept elsewhere (a ThingSpeak channel export, the Flask server's SQLite file).

Every reading goes through record_readings (a ThingSpeak entry's status and location with it).
Each carries its original time, so it is stored as board-stamped: a second run of the same
import finds it stored and stores nothing again.
"""

from __future__ import annotations

import csv
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from django.db.models import Max
from django.utils.timezone import now

from devices.models import FIELD_NUMBERS, Device
from iotserver.refusals import Refused
from iotserver.times import parse_moment
from readings.models import Reading
from readings.rules import MAX_BATCH, EntryExtras, NewReading, check_reading, parse_value, value_from
from readings.services import record_readings

# The Flask server's early rows hold the household's local time without a zone.
FLASK_NAIVE_ZONE = "America/Los_Angeles"
# History is older than READINGS_EARLIEST (the Flask server ran in 2018), and its times come from
# a server's clock, not a board's; ThingSpeak itself opened in 2010.
IMPORT_EARLIEST = datetime(2010, 1, 1, tzinfo=UTC)


SHOWN_PLACES = 5  # places named per reason in the report; the count covers them all


@dataclass
class ImportReport:
    stored: int = 0
    already: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> how many readings
    places: dict[str, list[str]] = field(default_factory=dict)  # reason -> the first rows it hit

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        found = self.places.setdefault(reason, [])
        if len(found) < SHOWN_PLACES and where not in found:
            found.append(where)

    def lines(self) -> list[str]:
        found = [f"stored {self.stored} new readings, {self.already} were stored already"]
        for reason, count in self.skipped.most_common():
            places = self.places.get(reason, [])
            more = ", …" if count > len(places) else ""
            found.append(f"skipped {count}: {reason}; at {', '.join(places)}{more}")
        return found


@dataclass(frozen=True)
class Incoming:
    device: Device
    reading: NewReading
    where: str  # the source row, as a person finds it again: "line 5 (entry 4)", "Id 12"
    note: EntryExtras | None = None  # a ThingSpeak entry's status and location, on each of its readings


@dataclass(frozen=True)
class Skipped:
    reason: str
    where: str


def store(incoming: Iterable[Incoming | Skipped]) -> ImportReport:
    """Check each reading, skip (and count, with where) those that break a rule, store the rest in batches.

    `incoming` yields readings, or a Skipped: why one source row was passed over, and which.
    """
    report = ImportReport()
    fields: dict[int, dict] = {}
    batches: dict[int, list[NewReading]] = {}
    notes: dict[int, dict[datetime, EntryExtras]] = {}
    devices: dict[int, Device] = {}
    received_at = now()
    for item in incoming:
        if isinstance(item, Skipped):
            report.skip(item.reason, item.where)
            continue
        device = devices.setdefault(item.device.pk, item.device)
        if device.pk not in fields:
            fields[device.pk] = {f.number: f for f in device.fields.all()}
        try:
            check_reading(
                item.reading, fields=fields[device.pk], received_at=received_at, earliest=IMPORT_EARLIEST
            )
        except Refused as refusal:
            report.skip(
                refusal.reason if "not set up" in refusal.reason else _kind(refusal.reason), item.where
            )
            continue
        batch = batches.setdefault(device.pk, [])
        batch.append(item.reading)
        if item.note is not None and item.note.noted and item.reading.recorded_at is not None:
            notes.setdefault(device.pk, {})[item.reading.recorded_at] = item.note
        if len(batch) == MAX_BATCH:
            _flush(device, batch, notes.pop(device.pk, {}), report)
            batch.clear()
    for pk, batch in batches.items():
        if batch:
            _flush(devices[pk], batch, notes.pop(pk, {}), report)
    return report


def _kind(reason: str) -> str:
    """A refusal's reason without the value, so that alike refusals are counted together."""
    if "not a plausible" in reason:
        return "value not plausible for the field's kind" + reason[reason.index(" (") :]
    return reason


def _flush(device: Device, batch: list[NewReading], notes: dict, report: ImportReport) -> None:
    # New rows get ids above every existing one; ids at or below it were stored before.
    highest = Reading.objects.aggregate(highest=Max("id"))["highest"] or 0
    ids = record_readings(device=device, readings=batch, earliest=IMPORT_EARLIEST, notes=notes)
    new = [i for i in ids if i > highest]
    report.stored += len(set(new))
    report.already += len(ids) - len(new)


def _moment(text: str, naive_zone: tzinfo) -> datetime | None:
    """ISO 8601 or ThingSpeak's '2018-07-31 20:37:01 UTC' / '... -0700'; naive means naive_zone."""
    try:
        return parse_moment((text or "").strip(), what="time", zone=naive_zone)
    except Refused:
        return None


def thingspeak_csv(path: Path, *, device: Device, naive_zone: tzinfo = UTC) -> Iterator[Incoming | Skipped]:
    """A ThingSpeak channel export: created_at,entry_id,field1..field8,latitude,... one entry a row."""
    with open(path, newline="", encoding="utf-8-sig") as source:
        rows = csv.DictReader(source)
        if "created_at" not in (rows.fieldnames or []):
            raise Refused("not a ThingSpeak export: no created_at column in the header")
        for row in rows:
            entry = (row.get("entry_id") or "").strip()
            where = f"line {rows.line_num}" + (f" (entry {entry[:12]})" if entry else "")
            moment = _moment(row.get("created_at") or "", naive_zone)
            if moment is None:
                yield Skipped("created_at is not a time", where)
                continue
            texts = {number: (row.get(f"field{number}") or "").strip() for number in FIELD_NUMBERS}
            if not any(texts.values()):
                yield Skipped("no value in field1..field8", where)
                continue
            note = _thingspeak_note(row)
            for number, text in texts.items():
                if not text:
                    continue
                try:
                    value = parse_value(text)
                except Refused:
                    yield Skipped(f"field{number} is not a number", where)
                    continue
                yield Incoming(device, NewReading(field=number, value=value, recorded_at=moment), where, note)


def _thingspeak_note(row: dict) -> EntryExtras:
    """An export row's status and location; a location that is not a number is left out."""

    def number(name: str) -> float | None:
        try:
            value = float((row.get(name) or "").strip())
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    return EntryExtras(
        status=(row.get("status") or "")[:255],
        latitude=number("latitude"),
        longitude=number("longitude"),
        elevation=number("elevation"),
    )


def flask_db(
    path: Path, *, targets: dict[int, tuple[Device, int]], naive_zone: tzinfo
) -> Iterator[Incoming | Skipped]:
    """The Flask server's `data` table; `targets` maps its field numbers to (device, field number)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            rows = db.execute("SELECT Id, date_time, field, data FROM data ORDER BY Id")
        except sqlite3.DatabaseError as error:
            raise Refused(f"not the Flask server's database: {error}") from None
        for row_id, date_time, number, value in rows:
            where = f"Id {row_id}"
            target = targets.get(number) if isinstance(number, int) else None
            if target is None:
                yield Skipped(
                    f"field {number} is not mapped to a device (use --field {number}=DEVICE)", where
                )
                continue
            moment = _moment(str(date_time or ""), naive_zone)
            if moment is None:
                yield Skipped("date_time is not a time", where)
                continue
            try:
                value = value_from(value)
            except Refused:
                yield Skipped("data is not a number", where)
                continue
            device, field_number = target
            yield Incoming(device, NewReading(field=field_number, value=value, recorded_at=moment), where)
