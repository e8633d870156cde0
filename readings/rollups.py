"""Rollups of readings per 5 minutes, hour and day: kept on every write and delete, rebuilt on demand."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.signals import post_delete
from django.dispatch import receiver

from readings.models import Reading, Rollup

logger = logging.getLogger(__name__)

# Finest first. Every bucket width history_series draws from 300 s up is a multiple of one of
# these, so a chart bucket is always a whole number of rollup buckets.
WIDTHS = (300, 3600, 86400)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def epoch_seconds(at: datetime) -> int:
    """Whole Unix seconds, floored, in integers: a float timestamp can round 12:04:59.9999999 up."""
    return (at - EPOCH) // SECOND


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def rollups_add(*, device_id: int, readings: Iterable[Reading]) -> None:
    """Fold newly stored readings into their buckets: one upsert statement, whatever the batch.

    Called inside record_readings's transaction, so a reading and its rollups commit together.
    The batch is summed here first: PostgreSQL refuses an upsert that touches one row twice.
    """
    sums: dict[tuple[int, int, int], list[float]] = {}
    for reading in readings:
        seconds = epoch_seconds(reading.recorded_at)
        for width in WIDTHS:
            key = (reading.field, width, seconds // width)
            found = sums.get(key)
            if found is None:
                sums[key] = [reading.value, reading.value, reading.value, 1]
            else:
                found[0] = min(found[0], reading.value)
                found[1] = max(found[1], reading.value)
                found[2] += reading.value
                found[3] += 1
    if not sums:
        return
    table = _q(Rollup._meta.db_table)
    least, greatest = ("min", "max") if connection.vendor == "sqlite" else ("LEAST", "GREATEST")
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(sums))
    params: list = []
    # In key order: two batches touching the same buckets lock them in the same order, so
    # PostgreSQL never finds them waiting on each other (a deadlock).
    for (field, width, bucket), (low, high, total, count) in sorted(sums.items()):
        params += [device_id, field, width, bucket, low, high, total, count]
    count_ = _q("count")
    sql = (
        f"INSERT INTO {table} (device_id, field, width, bucket, low, high, total, {count_}) VALUES {rows} "
        "ON CONFLICT (device_id, field, width, bucket) DO UPDATE SET "
        f"low = {least}({table}.low, excluded.low), high = {greatest}({table}.high, excluded.high), "
        f"total = {table}.total + excluded.total, {count_} = {table}.{count_} + excluded.{count_}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rollups_recompute(*, device_id: int, field: int, at: datetime) -> None:
    """Recompute from the readings the buckets that hold `at` (after a deletion: a min cannot be undone)."""
    seconds = epoch_seconds(at)
    for width in WIDTHS:
        bucket = seconds // width
        start = EPOCH + timedelta(seconds=bucket * width)
        stop = start + timedelta(seconds=width)
        found = Reading.objects.filter(
            device_id=device_id, field=field, recorded_at__gte=start, recorded_at__lt=stop
        ).aggregate(low=Min("value"), high=Max("value"), total=Sum("value"), count=Count("id"))
        where: dict[str, Any] = {"device_id": device_id, "field": field, "width": width, "bucket": bucket}
        if found["count"]:
            Rollup.objects.update_or_create(**where, defaults=found)
        else:
            Rollup.objects.filter(**where).delete()


@receiver(post_delete, sender=Reading, dispatch_uid="readings_rollups_on_delete")
def _reading_deleted(sender, instance: Reading, **kwargs) -> None:
    # Runs inside the deletion's transaction (the admin's, or a queryset's delete()), so the
    # rollups never disagree with the readings once it commits.
    rollups_recompute(device_id=instance.device_id, field=instance.field, at=instance.recorded_at)


def epoch_bucket_sql(column: str, width: int) -> str:
    """SQL for floor(Unix seconds of a recorded_at column / width), on SQLite and PostgreSQL."""
    if connection.vendor == "sqlite":
        # Django stores UTC text; only the first 19 characters, as EpochBucket does (no rounding up).
        return f"(CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) / {int(width)})"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {int(width)}) AS BIGINT)"


def rollups_rebuild(*, device_ids: Iterable[int] | None = None) -> int:
    """Recompute every rollup (of the given devices) from the readings; answers the rollup rows made.

    5-minute buckets from the readings, hours from those, days from the hours: one pass over
    the readings, however many widths.
    """
    table = _q(Rollup._meta.db_table)
    readings = _q(Reading._meta.db_table)
    count_ = _q("count")
    ids = None if device_ids is None else [int(pk) for pk in device_ids]
    if ids is None:
        only = ""
    else:
        only = f" AND device_id IN ({', '.join(['%s'] * len(ids))})" if ids else " AND 1 = 0"
    params = ids or []
    columns = f"(device_id, field, width, bucket, low, high, total, {count_})"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writers wait until the rebuild commits: a reading stored meanwhile would otherwise be
            # missed by the rebuild's snapshot, or clash with its inserts.
            cursor.execute(f"LOCK TABLE {readings} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {table} WHERE 1 = 1{only}", params)
        finest = WIDTHS[0]
        cursor.execute(
            f"INSERT INTO {table} {columns} "
            f"SELECT device_id, field, {finest}, {epoch_bucket_sql('recorded_at', finest)}, "
            f"MIN(value), MAX(value), SUM(value), COUNT(*) FROM {readings} WHERE 1 = 1{only} "
            "GROUP BY 1, 2, 3, 4",
            params,
        )
        for finer, width in zip(WIDTHS, WIDTHS[1:], strict=False):
            cursor.execute(
                f"INSERT INTO {table} {columns} "
                f"SELECT device_id, field, {width}, bucket * {finer} / {width}, "
                f"MIN(low), MAX(high), SUM(total), SUM({count_}) FROM {table} "
                f"WHERE width = {finer}{only} GROUP BY 1, 2, 3, 4",
                params,
            )
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE 1 = 1{only}", params)
        return cursor.fetchone()[0]
