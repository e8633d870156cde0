"""Rate-limit counting: how many requests a bucket (a device, an address) made in its window.

Which buckets a write counts against is decided by `readings.ingest`; this module only counts.

A counter per device (DEVICE_RATE_LIMIT) keeps a runaway board from crowding out the others; a
counter per client address for refused keys (UNKNOWN_KEY_RATE_LIMIT) slows down anyone trying
keys. Both live in the database, so every gunicorn worker and every app server shares them.

Why not DRF's throttles on the database cache: they read and rewrite a pickled list of times
(four statements on the database cache, and two workers can both read the old list). Here one
`INSERT ... ON CONFLICT ... RETURNING` counts the request atomically in one statement, on
SQLite and PostgreSQL alike. Windows are fixed (aligned to the period), so a board that keeps
to its rate is never refused; at a window's edge a burst may reach twice the rate, which is
still bounded.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.db import connection

from iotserver.refusals import TooMany
from ratelimits.models import RateWindow
from ratelimits.rates import Rate, parse_rate

STALE_AFTER = 86400  # counters of addresses idle this long are deleted


def setting_rate(name: str) -> Rate | None:
    return parse_rate(getattr(settings, name))


def _window(rate: Rate, moment: float) -> tuple[int, int]:
    """The current window's start and the whole seconds until it ends (at least 1)."""
    started = int(moment // rate.seconds) * rate.seconds
    return started, max(1, math.ceil(started + rate.seconds - moment))


def count_request(bucket: str, rate: Rate) -> tuple[int, int]:
    """Count one request in the bucket's window: (requests in it, this one included; seconds left)."""
    started, left = _window(rate, time.time())
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, started, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (bucket) DO UPDATE SET "
            f"count = CASE WHEN {table}.started = excluded.started THEN {table}.count + 1 ELSE 1 END, "
            f"started = excluded.started RETURNING count",
            [bucket[:200], started],
        )
        (count,) = cursor.fetchone()
        if count == 1 and not bucket.startswith("device:"):
            # A new window for an address: the moment to forget addresses long gone quiet.
            cursor.execute(f"DELETE FROM {table} WHERE started < %s", [started - STALE_AFTER])
    return count, left


def limit(bucket: str, rate: Rate | None, who: str) -> None:
    """Count a request against the bucket; raise TooMany once it is over the rate."""
    if rate is None:
        return
    count, left = count_request(bucket, rate)
    if count > rate.count:
        raise TooMany(f"{who}: more than {rate.count} requests a {rate.per}; retry in {left} s", left)
