"""The simulator's weather: a daily curve on the household's clocks, a house that lags and damps it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from devices.simulated_weather import Climate, inside_temperature, outside_temperature, sensor_reading

PACIFIC = ZoneInfo("America/Los_Angeles")
DAY = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # midnight in Pacific daylight time


def day_of(curve, zone=PACIFIC, start=DAY) -> list[tuple[datetime, float]]:
    return [
        (start + timedelta(minutes=m), curve(start + timedelta(minutes=m), zone)) for m in range(0, 1440, 5)
    ]


def hottest(samples, zone=PACIFIC) -> float:
    at, _ = max(samples, key=lambda sample: sample[1])
    local = at.astimezone(zone)
    return local.hour + local.minute / 60


def test_outside_is_warmest_mid_afternoon_and_coldest_before_dawn_on_local_clocks():
    samples = day_of(outside_temperature)
    coldest_at, coldest = min(samples, key=lambda sample: sample[1])

    assert hottest(samples) == 15.0
    assert coldest_at.astimezone(PACIFIC).hour == 3
    assert max(v for _, v in samples) - coldest == 12.0  # twice the swing


def test_the_curve_follows_the_household_zone_not_utc():
    assert (
        hottest(
            day_of(outside_temperature, ZoneInfo("UTC"), datetime(2026, 7, 1, tzinfo=UTC)), ZoneInfo("UTC")
        )
        == 15
    )
    assert hottest(day_of(outside_temperature), ZoneInfo("UTC")) == 22.0  # 15:00 PDT is 22:00 UTC


def test_inside_lags_the_outside_by_three_hours_and_swings_less():
    outside, inside = day_of(outside_temperature), day_of(inside_temperature)

    assert hottest(inside) - hottest(outside) == 3.0
    inside_range = max(v for _, v in inside) - min(v for _, v in inside)
    outside_range = max(v for _, v in outside) - min(v for _, v in outside)
    assert abs(inside_range - 0.3 * outside_range) < 1e-9
    assert abs(sum(v for _, v in inside) / len(inside) - Climate().inside_mean) < 1e-9


def test_readings_are_noisy_sixteenths_around_the_curve():
    rng = random.Random(1)
    readings = [sensor_reading(20.0, rng) for _ in range(2000)]

    assert all((r * 16).is_integer() for r in readings)
    assert len(set(readings)) > 5
    assert abs(sum(readings) / len(readings) - 20.0) < 0.02
    assert max(abs(r - 20.0) for r in readings) < 1.0
