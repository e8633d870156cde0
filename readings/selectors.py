"""Reads of readings: the latest values, today's extremes, trends and downsampled history."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from readings.models import Reading


# Reads for the exports, the read API and the ThingSpeak feeds (issue 5).


def readings_between(
    *, device_id: int, start: datetime | None = None, end: datetime | None = None, field: int | None = None
):
    """A device's readings in [start, end], oldest first, on the (device, field, time) index."""
    rows = Reading.objects.filter(device_id=device_id)
    if field is not None:
        rows = rows.filter(field=field)
    if start is not None:
        rows = rows.filter(recorded_at__gte=start)
    if end is not None:
        rows = rows.filter(recorded_at__lte=end)
    return rows.order_by("recorded_at", "field", "id")


def latest_entries(
    *,
    device_id: int,
    limit: int,
    start: datetime | None = None,
    end: datetime | None = None,
    field: int | None = None,
) -> list[Reading]:
    """The readings of a device's latest `limit` moments in [start, end], oldest first.

    A moment is what ThingSpeak calls an entry: the readings one update stored together
    share their recorded_at. Two queries: the moments, then their readings.
    """
    moments = readings_between(device_id=device_id, start=start, end=end, field=field)
    times = list(
        moments.order_by("-recorded_at").values_list("recorded_at", flat=True).distinct()[:limit]
    )
    if not times:
        return []
    return list(readings_between(device_id=device_id, start=min(times), end=max(times), field=field))


def last_entry_id(*, device_id: int) -> int | None:
    return Reading.objects.filter(device_id=device_id).aggregate(Max("id"))["id__max"]
