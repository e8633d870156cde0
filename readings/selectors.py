"""Reads of readings: the latest values, today's extremes, trends and downsampled history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Avg, BigIntegerField, Count, Func, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

from devices.models import Field
from readings.models import Reading

# (device id, field number): one series of readings.
SeriesKey = tuple[int, int]

# Bucket widths in seconds that history is cut into: round numbers a person reads easily on an
# axis, and that a later rollup table (5 minutes, 1 hour, 1 day) can serve without re-bucketing.
BUCKET_WIDTHS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
DAY = 86400


@dataclass(frozen=True)
class Bucket:
    """Readings of one series within [start, start + width): enough to draw a spike as well as a mean."""

    start: datetime
    low: float
    mean: float
    high: float
    count: int


def _pairs(series: Sequence[SeriesKey]) -> Q:
    query = Q()
    for device_id, field in series:
        query |= Q(device_id=device_id, field=field)
    return query


def fields_with_latest(*, active_only: bool = True):
    """Every field of every (active) device, each with its latest value and time, in one query.

    Correlated subqueries walk the (device, field, recorded_at) index once per field, so the
    cost follows the number of fields, never the number of readings.
    """
    latest = Reading.objects.filter(device=OuterRef("device"), field=OuterRef("number")).order_by(
        "-recorded_at", "-id"
    )
    fields = Field.objects.select_related("device").annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_at=Subquery(latest.values("recorded_at")[:1]),
    )
    if active_only:
        fields = fields.filter(device__is_active=True)
    return fields.order_by("device__placement", "device__name", "number")


def local_day_start(at: datetime) -> datetime:
    """Midnight of `at`'s day in the household's TIME_ZONE (DST-safe), as an aware datetime."""
    local = timezone.localtime(at)
    midnight = datetime(local.year, local.month, local.day)
    return timezone.make_aware(midnight, timezone.get_current_timezone())


def day_extremes(*, series: Sequence[SeriesKey], at: datetime) -> dict[SeriesKey, tuple[float, float]]:
    """(min, max) of each series since local midnight of `at`'s day, in one query."""
    if not series:
        return {}
    rows = (
        Reading.objects.filter(_pairs(series), recorded_at__gte=local_day_start(at), recorded_at__lte=at)
        .values("device_id", "field")
        .annotate(low=Min("value"), high=Max("value"))
        .order_by()
    )
    return {(row["device_id"], row["field"]): (row["low"], row["high"]) for row in rows}


def hourly_trend(*, series: Sequence[SeriesKey], at: datetime) -> dict[SeriesKey, float]:
    """Change per hour of each series over the last hour: the later half-hour's mean minus the earlier's.

    Comparing two half-hour means (one query) is steadier than comparing two single readings,
    which a gust or a sensor's jitter can swing. Series without readings in both halves are absent.
    """
    if not series:
        return {}
    middle = at - timedelta(minutes=30)
    rows = (
        Reading.objects.filter(_pairs(series), recorded_at__gte=at - timedelta(hours=1), recorded_at__lte=at)
        .values("device_id", "field")
        .annotate(
            early=Avg("value", filter=Q(recorded_at__lt=middle)),
            late=Avg("value", filter=Q(recorded_at__gte=middle)),
        )
        .order_by()
    )
    # The two halves' centres lie half an hour apart: twice their difference is the change per hour.
    return {
        (row["device_id"], row["field"]): 2 * (row["late"] - row["early"])
        for row in rows
        if row["early"] is not None and row["late"] is not None
    }


def bucket_width(*, start: datetime, end: datetime, max_points: int) -> int:
    """The smallest round width (seconds) that cuts [start, end] into at most max_points aligned buckets."""
    span = max((end - start).total_seconds(), 1)
    # Buckets are aligned to multiples of the width since the epoch, so [start, end] can touch
    # one more bucket than span / width: hence max_points - 1.
    needed = span / max(max_points - 1, 1)
    for width in BUCKET_WIDTHS:
        if width >= needed:
            return width
    return math.ceil(needed / DAY) * DAY


class EpochBucket(Func):
    """A timestamp's bucket number, floor(epoch seconds / width), on SQLite and PostgreSQL alike."""

    output_field = BigIntegerField()

    def __init__(self, expression, width: int):
        if not isinstance(width, int) or width < 1:
            raise ValueError("width must be a positive whole number of seconds")
        self.width = width
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores UTC text ('2026-11-21 05:00:00.123456'); strftime('%s') reads it as UTC.
        # Only the first 19 characters: SQLite rounds fractions to milliseconds, which would
        # move 12:04:59.9999 into the 12:05 bucket. '%%%%' survives two rounds of %-formatting.
        # Readings are after 1970, so integer division is floor division here.
        return self.as_sql(
            compiler,
            connection,
            template=f"(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) / {self.width})",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=f"CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / {self.width}) AS BIGINT)",
            **extra_context,
        )


def history_series(
    *, series: Sequence[SeriesKey], start: datetime, end: datetime, max_points: int = 500
) -> tuple[int, dict[SeriesKey, list[Bucket]]]:
    """Each series' readings in [start, end], cut into at most max_points buckets by the database.

    Answers (bucket width in seconds, {series: buckets in time order}); a series with no
    readings in the range maps to []. Each bucket keeps its min, mean and max, so a short spike
    survives downsampling. One query, whatever the number of readings or series.
    """
    width = bucket_width(start=start, end=end, max_points=max_points)
    found: dict[SeriesKey, list[Bucket]] = {key: [] for key in series}
    if not series:
        return width, found
    rows = (
        Reading.objects.filter(_pairs(series), recorded_at__gte=start, recorded_at__lte=end)
        .annotate(bucket=EpochBucket("recorded_at", width))
        .values("device_id", "field", "bucket")
        .annotate(low=Min("value"), mean=Avg("value"), high=Max("value"), count=Count("id"))
        .order_by("device_id", "field", "bucket")
    )
    for row in rows:
        found[(row["device_id"], row["field"])].append(
            Bucket(
                start=datetime.fromtimestamp(row["bucket"] * width, tz=UTC),
                low=row["low"],
                mean=row["mean"],
                high=row["high"],
                count=row["count"],
            )
        )
    return width, found


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
    times = list(moments.order_by("-recorded_at").values_list("recorded_at", flat=True).distinct()[:limit])
    if not times:
        return []
    return list(readings_between(device_id=device_id, start=min(times), end=max(times), field=field))
