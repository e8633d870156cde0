"""history_series and friends: downsampling in the database, bucket bounds, spikes kept, local days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from readings.models import Reading
from readings.rollups import rollups_rebuild
from readings.rules import NewReading
from readings.selectors import bucket_width, day_extremes, history_series, hourly_trend, local_day_start
from readings.services import record_readings

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # a multiple of every bucket width up to a day


def post(issued, field, *values_at):
    device = issued.api_key.device
    readings = [NewReading(field=field, value=v, recorded_at=at) for v, at in values_at]
    for start in range(0, len(readings), 1000):  # the write path's batch limit
        record_readings(device=device, readings=readings[start : start + 1000])
    return (device.id, field)


def test_bucket_widths_keep_every_range_under_500_points():
    for span in (timedelta(hours=24), timedelta(days=7), timedelta(days=30), timedelta(days=365)):
        width = bucket_width(start=T0 - span, end=T0, max_points=500)
        assert span.total_seconds() / width + 1 <= 500
    assert bucket_width(start=T0 - timedelta(hours=24), end=T0, max_points=500) == 300
    assert bucket_width(start=T0 - timedelta(days=365), end=T0, max_points=500) == 86400
    assert bucket_width(start=T0 - timedelta(days=3650), end=T0, max_points=500) == 8 * 86400


def test_a_reading_falls_in_the_bucket_that_starts_at_or_before_it(outside):
    key = post(
        outside,
        1,
        (10.0, T0),  # exactly on a bucket's start
        (11.0, T0 + timedelta(seconds=299, microseconds=999_999)),  # last moment of the same bucket
        (12.0, T0 + timedelta(seconds=300)),  # first moment of the next
    )

    width, found = history_series(
        series=[key], start=T0 - timedelta(hours=24), end=T0 + timedelta(hours=1), max_points=500
    )
    assert width == 300
    assert [(b.start, b.low, b.high, b.count) for b in found[key]] == [
        (T0, 10.0, 11.0, 2),
        (T0 + timedelta(seconds=300), 12.0, 12.0, 1),
    ]


def test_a_short_spike_survives_downsampling_as_the_buckets_max(outside):
    minutes = [(20.0 + (15.0 if n == 1234 else 0.0), T0 - timedelta(minutes=n)) for n in range(2000)]
    key = post(outside, 1, *minutes)

    width, found = history_series(series=[key], start=T0 - timedelta(days=7), end=T0)

    buckets = found[key]
    assert width == 1800 and len(buckets) <= 500
    assert sum(b.count for b in buckets) == 2000
    assert max(b.high for b in buckets) == 35.0
    assert min(b.low for b in buckets) == 20.0
    spiked = next(b for b in buckets if b.high == 35.0)
    assert spiked.mean == pytest.approx(20.0 + 15.0 / spiked.count)
    assert [b.start for b in buckets] == sorted(b.start for b in buckets)


def test_a_year_of_minutely_history_comes_back_as_at_most_500_points(outside):
    rows = [
        Reading(
            device=outside.api_key.device, field=1, value=float(n % 30), recorded_at=T0 - timedelta(hours=n)
        )
        for n in range(24 * 365)
    ]
    # Synthetic bulk history for a size check; record_readings caps a batch at 1,000 readings.
    Reading.objects.bulk_create(rows)
    # Rows stored around record_readings have no rollups until rebuilt, as after generate_readings.
    rollups_rebuild()
    key = (outside.api_key.device.id, 1)

    _, found = history_series(series=[key], start=T0 - timedelta(days=365), end=T0)

    assert len(found[key]) <= 500
    assert sum(b.count for b in found[key]) == 24 * 365


def test_empty_ranges_and_unknown_series_give_empty_lists(outside, inside):
    key = post(outside, 1, (10.0, T0))
    quiet = (inside.api_key.device.id, 2)

    _, before = history_series(series=[key, quiet], start=T0 - timedelta(days=2), end=T0 - timedelta(days=1))
    _, around = history_series(series=[key, quiet], start=T0 - timedelta(hours=1), end=T0)

    assert before == {key: [], quiet: []}
    assert len(around[key]) == 1 and around[quiet] == []
    assert history_series(series=[], start=T0, end=T0 + timedelta(hours=1))[1] == {}


def test_series_do_not_mix(outside, inside):
    out_key = post(outside, 1, (10.0, T0))
    in_key = post(inside, 2, (25.0, T0))

    _, found = history_series(series=[out_key, in_key], start=T0 - timedelta(hours=1), end=T0)

    assert found[out_key][0].mean == 10.0 and found[in_key][0].mean == 25.0


def test_todays_extremes_follow_the_households_midnight(outside, settings):
    settings.TIME_ZONE = "America/Los_Angeles"  # summer: UTC-7
    key = post(
        outside,
        1,
        (30.0, datetime(2026, 7, 15, 6, 59, tzinfo=UTC)),  # 23:59 on the 14th, local
        (10.0, datetime(2026, 7, 15, 7, 1, tzinfo=UTC)),  # 00:01 on the 15th, local
        (15.0, datetime(2026, 7, 15, 12, 0, tzinfo=UTC)),
        (40.0, datetime(2026, 7, 15, 21, 0, tzinfo=UTC)),  # after the moment asked about
    )
    at = datetime(2026, 7, 15, 20, 0, tzinfo=UTC)

    assert local_day_start(at) == datetime(2026, 7, 15, 7, 0, tzinfo=UTC)
    assert day_extremes(series=[key], at=at) == {key: (10.0, 15.0)}
    settings.TIME_ZONE = "UTC"
    assert day_extremes(series=[key], at=at) == {key: (10.0, 30.0)}


def test_the_day_starts_at_local_midnight_across_a_dst_change(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # 2026-10-25: clocks go back at 03:00 CEST; midnight was still CEST (UTC+2).
    assert local_day_start(datetime(2026, 10, 25, 12, 0, tzinfo=UTC)) == datetime(
        2026, 10, 24, 22, 0, tzinfo=UTC
    )
    assert local_day_start(datetime(2026, 10, 26, 12, 0, tzinfo=UTC)) == datetime(
        2026, 10, 25, 23, 0, tzinfo=UTC
    )


def test_the_hourly_trend_compares_the_two_half_hours(outside, inside):
    rising = post(outside, 1, *[(20.0 + n * 0.05, T0 - timedelta(minutes=60 - n)) for n in range(60)])
    steady = post(inside, 2, *[(22.0, T0 - timedelta(minutes=n)) for n in range(60)])

    trends = hourly_trend(series=[rising, steady], at=T0)

    assert trends[rising] == pytest.approx(3.0)  # 0.05° a minute
    assert trends[steady] == 0.0
