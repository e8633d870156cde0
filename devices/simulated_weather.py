"""Made-up but believable temperatures for the station simulator: a daily curve, a house that lags it."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from devices.models import INSIDE

SENSOR_STEP = 1 / 16  # an MCP9808 reports sixteenths of a degree


@dataclass(frozen=True)
class Climate:
    """A mild day; the numbers are °C and hours of the household's local time."""

    outside_mean: float = 14.0
    outside_swing: float = 6.0  # half the difference between the warmest and the coldest hour
    warmest_hour: float = 15.0  # mid-afternoon, as on most clear days
    inside_mean: float = 21.0
    # Walls and heating damp the swing and delay it: the house is warmest in the evening.
    inside_damping: float = 0.3
    inside_lag: timedelta = timedelta(hours=3)
    noise: float = 0.15  # the standard deviation of a reading around the curve


def local_hour(at: datetime, zone: ZoneInfo) -> float:
    """The hour of the day on the household's clocks (DST included), as a fraction."""
    local = at.astimezone(zone)
    return local.hour + local.minute / 60 + local.second / 3600


def outside_temperature(at: datetime, zone: ZoneInfo, climate: Climate = Climate()) -> float:
    """The outside curve without noise: warmest at `warmest_hour`, coldest twelve hours later."""
    angle = 2 * math.pi * (local_hour(at, zone) - climate.warmest_hour) / 24
    return climate.outside_mean + climate.outside_swing * math.cos(angle)


def inside_temperature(at: datetime, zone: ZoneInfo, climate: Climate = Climate()) -> float:
    """The inside curve without noise: the outside one, damped and some hours late."""
    outside_then = outside_temperature(at - climate.inside_lag, zone, climate)
    return climate.inside_mean + climate.inside_damping * (outside_then - climate.outside_mean)


def temperature(placement: str, at: datetime, zone: ZoneInfo, climate: Climate = Climate()) -> float:
    curve = inside_temperature if placement == INSIDE else outside_temperature
    return curve(at, zone, climate)


def sensor_reading(true_value: float, rng: random.Random, climate: Climate = Climate()) -> float:
    """What a board would send: the value with some noise, in the sensor's sixteenths of a degree."""
    noisy = true_value + rng.gauss(0, climate.noise)
    return round(noisy / SENSOR_STEP) * SENSOR_STEP
