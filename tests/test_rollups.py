"""Rollups agree with the readings after random inserts, backfills and deletions, and history reads them."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from readings.models import Reading, Rollup
from readings.rollups import WIDTHS, epoch_seconds
from readings.rules import NewReading
from readings.selectors import history_series
from readings.services import record_readings

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


def rollups_from_readings() -> dict:
    """What the rollups must hold, computed in Python from every stored reading."""
    expected: dict = defaultdict(lambda: [float("inf"), float("-inf"), 0.0, 0])
    for device_id, field, value, at in Reading.objects.values_list(
        "device_id", "field", "value", "recorded_at"
    ):
        for width in WIDTHS:
            bucket = expected[(device_id, field, width, epoch_seconds(at) // width)]
            bucket[0] = min(bucket[0], value)
            bucket[1] = max(bucket[1], value)
            bucket[2] += value
            bucket[3] += 1
    return {
        key: (low, high, pytest.approx(total), count) for key, (low, high, total, count) in expected.items()
    }


def stored_rollups() -> dict:
    return {
        (r.device_id, r.field, r.width, r.bucket): (r.low, r.high, r.total, r.count)
        for r in Rollup.objects.all()
    }


def random_batch(rng: random.Random, *, around: datetime, spread: timedelta) -> list[NewReading]:
    seconds = int(spread.total_seconds())
    return [
        NewReading(
            field=1,
            value=round(rng.uniform(-20, 40), 4),
            # Microseconds: readings land on, just before and just after bucket edges.
            recorded_at=around
            - timedelta(seconds=rng.randrange(seconds), microseconds=rng.randrange(1_000_000)),
        )
        for _ in range(rng.randrange(1, 40))
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_match_the_readings_after_random_inserts_backfills_and_deletions(seed, outside, inside):
    rng = random.Random(seed)
    devices = [outside.api_key.device, inside.api_key.device]
    inside.api_key.device.fields.update(number=1)
    for round_ in range(12):
        device = rng.choice(devices)
        if round_ % 3 == 2:
            # A board back online after days away sends its buffer: late, out of order, some twice.
            batch = random_batch(
                rng, around=T0 - timedelta(days=rng.randrange(1, 30)), spread=timedelta(days=2)
            )
            batch += batch[: rng.randrange(len(batch) + 1)]
        else:
            batch = random_batch(rng, around=T0, spread=timedelta(hours=3))
        record_readings(device=device, readings=batch)
        record_readings(device=device, readings=[NewReading(field=1, value=rng.uniform(0, 30))])  # live
        if round_ % 4 == 3:
            # The admin's bulk delete goes through QuerySet.delete(), as here.
            ids = list(Reading.objects.values_list("id", flat=True))
            Reading.objects.filter(id__in=rng.sample(ids, k=max(1, len(ids) // 5))).delete()

    assert Reading.objects.count() > 100
    assert stored_rollups() == rollups_from_readings()


def test_deleting_a_buckets_only_reading_removes_the_bucket(outside):
    device = outside.api_key.device
    record_readings(device=device, readings=[NewReading(field=1, value=5.0, recorded_at=T0)])

    Reading.objects.get().delete()

    assert Rollup.objects.count() == 0


def test_deleting_the_minimum_gives_the_bucket_its_next_minimum(outside):
    device = outside.api_key.device
    record_readings(
        device=device,
        readings=[NewReading(1, 5.0, T0), NewReading(1, 9.0, T0 + timedelta(minutes=1))],
    )

    Reading.objects.filter(value=5.0).delete()

    assert set(Rollup.objects.values_list("width", "low", "high", "count")) == {
        (300, 9.0, 9.0, 1),
        (3600, 9.0, 9.0, 1),
        (86400, 9.0, 9.0, 1),
    }


def test_rebuild_rollups_recomputes_what_bulk_loading_skipped(outside):
    device = outside.api_key.device
    record_readings(device=device, readings=[NewReading(1, 1.0, T0)])
    # Rows stored around record_readings (as generate_readings does) have no rollups yet.
    Reading.objects.bulk_create(
        Reading(device=device, field=1, value=float(n), recorded_at=T0 - timedelta(minutes=7 * n))
        for n in range(500)
    )
    assert stored_rollups() != rollups_from_readings()

    call_command("rebuild_rollups")

    assert stored_rollups() == rollups_from_readings()


@pytest.mark.parametrize(
    "start, end",
    [
        (T0 - timedelta(days=40, seconds=7, microseconds=3), T0 + timedelta(hours=5, seconds=1)),
        (T0 - timedelta(days=3, minutes=17), T0 - timedelta(minutes=2)),
        (T0 - timedelta(hours=30, seconds=59), T0),
        (T0 - timedelta(hours=2), T0 + timedelta(minutes=3)),
        (T0 - timedelta(days=400), T0 + timedelta(days=1)),
    ],
)
def test_history_from_rollups_equals_history_from_every_reading(outside, start, end):
    rng = random.Random(7)
    device = outside.api_key.device
    moments = [T0 - timedelta(seconds=rng.randrange(-2 * 86400, 45 * 86400)) for _ in range(2000)]
    moments += [start, end, start - timedelta(microseconds=1), end + timedelta(microseconds=1)]
    readings = [NewReading(1, round(rng.uniform(-5, 30), 3), at) for at in moments]
    for first in range(0, len(readings), 1000):
        record_readings(device=device, readings=readings[first : first + 1000])

    width, found = history_series(series=[(device.pk, 1)], start=start, end=end, max_points=500)

    expected: dict = defaultdict(list)
    for value, at in Reading.objects.filter(recorded_at__gte=start, recorded_at__lte=end).values_list(
        "value", "recorded_at"
    ):
        expected[epoch_seconds(at) // width * width].append(value)
    got = {int(b.start.timestamp()): (b.low, b.mean, b.high, b.count) for b in found[(device.pk, 1)]}
    assert got == {
        start_: (min(values), pytest.approx(sum(values) / len(values)), max(values), len(values))
        for start_, values in expected.items()
    }


def test_the_dashboard_and_history_cost_the_same_queries_at_any_size(
    client, member, settings, outside, inside
):
    """Query counts that do not grow with the data: the page, its history ranges, one device's history."""
    settings.DASHBOARD_PUBLIC = True
    device = outside.api_key.device
    urls = [
        "/",
        "/api/latest/",
        *(f"/api/history/?range={name}" for name in ("24h", "7d", "30d", "1y")),
        f"/api/devices/{device.pk}/history/?start=2020-01-01T00:00:00Z",
    ]
    record_readings(device=device, readings=[NewReading(1, 20.0)])

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            found.append(len(queries.captured_queries))
        return found

    small = counts()
    start = now() - timedelta(days=400)
    for batch in range(20):
        readings = [
            NewReading(1, 20.0 + n % 7, start + timedelta(minutes=19 * (batch * 1000 + n)))
            for n in range(1000)
        ]
        record_readings(device=device, readings=readings)
    assert Reading.objects.count() > 20_000

    assert counts() == small
