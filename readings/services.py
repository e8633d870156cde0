"""The one write path: every way a reading arrives ends in record_readings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.timezone import now

from devices.models import Device
from iotserver.refusals import Conflict, Refused
from readings.models import EntryNote, Reading
from readings.rollups import rollups_add
from readings.rules import MAX_BATCH, EntryExtras, NewReading, check_reading
from readings.write_lock import readings_write_lock


def record_readings(
    *,
    device: Device,
    readings: Sequence[NewReading],
    earliest: datetime | None = None,
    extras: EntryExtras | None = None,
    notes: Mapping[datetime, EntryExtras] | None = None,
) -> list[int]:
    """Store the readings whole or not at all; answer their ids in the order given.

    `earliest` (imports only) replaces READINGS_EARLIEST as the earliest time accepted, and marks
    the readings as history: the device's `last_seen` then moves only to the newest reading's own
    time (an import must not make a quiet station look alive), never to the moment of the import.
    `extras` (ThingSpeak's updates) makes the readings one entry at one moment: its status and
    location are stored beside them (an EntryNote, only when there are any), and a board-stamped
    moment the device already holds other readings at is refused with Conflict (409).
    `notes` (ThingSpeak's bulk updates) are the status and location of the entries at those
    board-stamped moments, stored with the entries' readings when these are newly stored.

    A board-stamped reading already stored (a retry after a lost answer) is not stored
    again: its existing id is answered. Raises Refused, storing nothing, if any reading
    breaks a rule.
    """
    if not readings:
        raise Refused("no readings in the request")
    if len(readings) > MAX_BATCH:
        raise Refused(f"at most {MAX_BATCH} readings per request, not {len(readings)}")
    received_at = now()
    # order_by(): Field's default ordering would join devices and sort on every reading.
    fields = {field.number: field for field in device.fields.order_by()}
    for index, reading in enumerate(readings):
        try:
            check_reading(reading, fields=fields, received_at=received_at, earliest=earliest)
        except Refused as refusal:
            if len(readings) == 1:
                raise
            # In a batch, say which reading: a board or a person can then drop just that one.
            raise Refused(f"readings.{index}: {refusal.reason}") from None
    if extras is not None and len({reading.recorded_at for reading in readings}) > 1:
        raise Refused("the readings of one entry share one moment")
    history = earliest is not None
    try:
        return _store(device, readings, received_at, history, extras, notes or {})
    except IntegrityError:
        # Only on PostgreSQL, when the same batch arrives twice at the same moment: the other
        # copy has committed by now, so a second pass finds its rows and stores nothing new.
        return _store(device, readings, received_at, history, extras, notes or {})


def _store(
    device: Device,
    readings: Sequence[NewReading],
    received_at: datetime,
    history: bool,
    extras: EntryExtras | None,
    notes: Mapping[datetime, EntryExtras],
) -> list[int]:
    with readings_write_lock(), transaction.atomic():
        if extras is not None and readings[0].recorded_at is not None:
            resent = _entry_resent(device, readings)
            if resent is not None:
                return resent
        # Each reading's slot holds the id it already has, or the row about to be inserted.
        already = _stamped_already(device, readings)
        slots: list[int | Reading] = []
        fresh: list[Reading] = []
        for reading in readings:
            key = (reading.field, reading.recorded_at)
            if reading.recorded_at is not None and key in already:
                slots.append(already[key])
                continue
            row = Reading(
                device=device,
                field=reading.field,
                value=reading.value,
                recorded_at=reading.recorded_at or received_at,
                stamped_by_device=reading.recorded_at is not None,
            )
            if reading.recorded_at is not None:
                already[key] = row  # the same reading twice in one batch is stored once
            fresh.append(row)
            slots.append(row)
        Reading.objects.bulk_create(fresh)
        if extras is not None and fresh:
            notes = {fresh[0].recorded_at: extras}
        if notes:
            _store_notes(device, fresh, notes)
        # The history charts read rollups, never the raw rows: they change in the same transaction.
        rollups_add(device_id=device.pk, readings=fresh)
        if not history:
            Device.objects.filter(pk=device.pk).update(last_seen=received_at)
        elif fresh:
            newest = max(row.recorded_at for row in fresh)
            Device.objects.filter(Q(last_seen__isnull=True) | Q(last_seen__lt=newest), pk=device.pk).update(
                last_seen=newest
            )
    return [slot if isinstance(slot, int) else slot.pk for slot in slots]


def _store_notes(device: Device, fresh: Sequence[Reading], notes: Mapping[datetime, EntryExtras]) -> None:
    """An EntryNote for each moment with a status or location among the readings just stored."""
    firsts: dict[datetime, int] = {}
    for row in fresh:
        firsts[row.recorded_at] = min(firsts.get(row.recorded_at, row.pk), row.pk)
    EntryNote.objects.bulk_create(
        EntryNote(
            device=device,
            recorded_at=moment,
            first_reading_id=firsts[moment],
            status=note.status,
            latitude=note.latitude,
            longitude=note.longitude,
            elevation=note.elevation,
        )
        for moment, note in notes.items()
        if note.noted and moment in firsts
    )


def _entry_resent(device: Device, readings: Sequence[NewReading]) -> list[int] | None:
    """The ids of this entry when the very same one is stored already; None when its moment is free.

    Raises Conflict when other readings hold the moment: one moment is one entry.
    """
    moment = readings[0].recorded_at
    assert moment is not None, "only a board-stamped entry can have been sent before"
    stored = {
        field: (value, id_)
        for field, value, id_ in Reading.objects.filter(device=device, recorded_at=moment).values_list(
            "field", "value", "id"
        )
    }
    if not stored:
        return None
    if {field: value for field, (value, _) in stored.items()} != {r.field: r.value for r in readings}:
        raise Conflict("the channel already holds an entry at that created_at")
    return [stored[reading.field][1] for reading in readings]


def _stamped_already(device: Device, readings: Sequence[NewReading]) -> dict:
    """Ids of the board-stamped readings in this request that are stored already."""
    times = {reading.recorded_at for reading in readings if reading.recorded_at is not None}
    if not times:
        return {}  # the station URL's case: nothing to look up
    rows = Reading.objects.filter(device=device, stamped_by_device=True, recorded_at__in=times).values_list(
        "field", "recorded_at", "id"
    )
    return {(field, recorded_at): id_ for field, recorded_at, id_ in rows}


def device_delete(*, device: Device) -> int:
    """Delete a station with all its readings, rollups, fields and keys; answers the readings deleted.

    Readings protect their device (on_delete=PROTECT), so that nothing deletes history by
    accident; this is the one deliberate way. One transaction, set-wise: Django's collector would
    load every reading (to send each one's post_delete) and a station holds millions.
    """
    table = connection.ops.quote_name(Reading._meta.db_table)
    with readings_write_lock(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE device_id = %s", [device.pk])
            deleted = cursor.rowcount
        device.delete()  # its rollups, fields, keys and alert rules go with it (CASCADE)
    return deleted
