"""Reads of readings: the latest values, today's extremes, trends and downsampled history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Avg, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

from devices.models import Field
from readings import rollups
from readings.models import Reading, Rollup

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


def history_series(
    *, series: Sequence[SeriesKey], start: datetime, end: datetime, max_points: int = 500
) -> tuple[int, dict[SeriesKey, list[Bucket]]]:
    """Each series' readings in [start, end], cut into at most max_points buckets by the database.

    Answers (bucket width in seconds, {series: buckets in time order}); a series with no
    readings in the range maps to []. Each bucket keeps its min, mean and max, so a short spike
    survives downsampling. One query, whatever the number of readings or series: whole days,
    hours and 5-minute spans inside the range come from the rollups (readings/rollups.py), only
    the few minutes at its edges from the readings themselves, so ten years cost a few thousand rows.
    """
    width = bucket_width(start=start, end=end, max_points=max_points)
    found: dict[SeriesKey, list[Bucket]] = {key: [] for key in series}
    if not series:
        return width, found
    levels = [level for level in reversed(rollups.WIDTHS) if width % level == 0]
    pieces = _pieces(rollups.epoch_seconds(start), start, end, inclusive=True, levels=levels)
    pairs = " OR ".join(["(device_id = %s AND field = %s)"] * len(series))
    pair_params = [value for key in series for value in key]
    parts: list[str] = []
    params: list = []
    readings_table = connection.ops.quote_name(Reading._meta.db_table)
    rollup_table = connection.ops.quote_name(Rollup._meta.db_table)
    count_ = connection.ops.quote_name("count")
    for level, low, high, inclusive in pieces:
        if level is None:
            parts.append(
                f"SELECT device_id, field, {rollups.epoch_bucket_sql('recorded_at', width)} AS b, "
                f"MIN(value) AS low, MAX(value) AS high, SUM(value) AS total, COUNT(*) AS n "
                f"FROM {readings_table} WHERE ({pairs}) AND recorded_at >= %s "
                f"AND recorded_at {'<=' if inclusive else '<'} %s GROUP BY 1, 2, 3"
            )
            assert isinstance(low, datetime) and isinstance(high, datetime)  # raw edges are moments
            adapt = connection.ops.adapt_datetimefield_value
            params += [*pair_params, adapt(low), adapt(high)]
        else:
            parts.append(
                f"SELECT device_id, field, bucket * {level} / {width} AS b, "
                f"MIN(low) AS low, MAX(high) AS high, SUM(total) AS total, SUM({count_}) AS n "
                f"FROM {rollup_table} WHERE ({pairs}) AND width = {level} AND bucket >= %s AND bucket < %s "
                "GROUP BY 1, 2, 3"
            )
            params += [*pair_params, low, high]
    sql = (
        "SELECT device_id, field, b, MIN(low), MAX(high), SUM(total), SUM(n) FROM ("
        + " UNION ALL ".join(parts)
        + ") AS pieces GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for device_id, field, bucket, low, high, total, count in rows:
        count = int(count)  # PostgreSQL sums integers as numeric
        found[(device_id, field)].append(
            Bucket(
                start=datetime.fromtimestamp(bucket * width, tz=UTC),
                low=low,
                mean=total / count,
                high=high,
                count=count,
            )
        )
    return width, found


def _pieces(
    seconds: int, start: datetime, end: datetime, *, inclusive: bool, levels: list[int]
) -> list[tuple[int | None, datetime | int, datetime | int, bool]]:
    """Cut [start, end] (or [start, end)) into whole rollup buckets, coarsest first, and raw edges.

    Answers (rollup width, first bucket, bucket after the last, _) for rollup pieces and
    (None, start, end, inclusive) for the edges read from the readings. At most seven pieces.
    """
    if not levels:
        if start < end or (inclusive and start == end):
            return [(None, start, end, inclusive)]
        return []
    level, finer = levels[0], levels[1:]
    # The first whole bucket starts at or after start; a start inside a second counts as after it.
    exact = start == rollups.EPOCH + timedelta(seconds=seconds)
    first = -(-seconds // level) if exact else seconds // level + 1
    after = rollups.epoch_seconds(end) // level
    if first >= after:
        return _pieces(seconds, start, end, inclusive=inclusive, levels=finer)
    inner_start = rollups.EPOCH + timedelta(seconds=first * level)
    inner_end = rollups.EPOCH + timedelta(seconds=after * level)
    return [
        *_pieces(seconds, start, inner_start, inclusive=False, levels=finer),
        (level, first, after, False),
        *_pieces(after * level, inner_end, end, inclusive=inclusive, levels=finer),
    ]


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
