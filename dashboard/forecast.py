"""When the advice will turn: "Outside should be cooler than inside from about 21:40", or "can't tell".

The difference outside minus inside is projected over the next hours from two things: its trend
over the last hour, which knows about today's weather, and how it changed from this clock time
on the previous days, which knows about the evening. The trend weighs most for the next hour,
the previous days after that. The turn is the first projected moment at which the difference
passes the advice's hysteresis; if the previous days disagree about it, or there are fewer than
two of them, the forecast says it cannot tell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from devices.models import INSIDE, OUTSIDE
from readings.selectors import history_series

STEP = 600  # seconds: ten-minute means
LOOKBACK_DAYS = 6
HORIZON = timedelta(hours=12)
TREND_OVER = timedelta(hours=1)
MIN_DAYS = 2  # previous days needed at this clock time
# The previous days' projected turns may spread this far (standard deviation) before the
# forecast stops naming a time.
MAX_SPREAD = timedelta(minutes=75)


@dataclass(frozen=True)
class Forecast:
    state: str  # "cooler", "warmer", "none" (no turn within the horizon) or "unknown"
    at: datetime | None = None
    text: str = ""


def _trend(now_s: int, difference: dict[int, float]) -> float | None:
    """Least-squares slope (°C per second) of the difference over the last hour."""
    points = [(t, d) for t, d in difference.items() if now_s - TREND_OVER.total_seconds() <= t <= now_s]
    if len(points) < 3:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_d = sum(d for _, d in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return sum((t - mean_t) * (d - mean_d) for t, d in points) / spread


def _first_turn(path: list[tuple[int, float]], target: float, falling: bool) -> int | None:
    for t, d in path:
        if (falling and d <= target) or (not falling and d >= target):
            return t
    return None


def turn_forecast(*, difference: dict[int, float], now_s: int, hysteresis: float) -> tuple[str, int | None]:
    """(state, Unix second of the turn) from ten-minute means of outside minus inside, keyed by bucket start.

    The pure part, tested against generated curves: no database, no clock.
    """
    now_s = now_s // STEP * STEP
    current = difference.get(now_s, difference.get(now_s - STEP))
    if current is None:
        return "unknown", None
    falling = current > -hysteresis  # outside not yet clearly cooler: watch for it to become so
    target = -hysteresis if falling else hysteresis
    slope = _trend(now_s, difference)
    steps = int(HORIZON.total_seconds() // STEP)
    turns, days = [], 0
    for back in range(1, LOOKBACK_DAYS + 1):
        then = now_s - back * 86400
        base = difference.get(then)
        future = [difference.get(then + k * STEP) for k in range(1, steps + 1)]
        if base is None or sum(v is not None for v in future) < 0.8 * steps:
            continue
        days += 1
        path = []
        for k, value in enumerate(future, start=1):
            if value is None:
                continue
            hours = k * STEP / 3600
            analog = current + (value - base)  # today's difference, changing as it did that day
            if slope is not None:
                weight = math.exp(-hours)  # the trend for the next hour, that day's shape after
                projected = weight * (current + slope * k * STEP) + (1 - weight) * analog
            else:
                projected = analog
            path.append((now_s + k * STEP, projected))
        turns.append(_first_turn(path, target, falling))
    if days < MIN_DAYS:
        return "unknown", None
    named = [t for t in turns if t is not None]
    if len(named) * 2 <= len(turns):  # most days saw no turn in the next twelve hours
        return "none", None
    mean = sum(named) / len(named)
    spread = math.sqrt(sum((t - mean) ** 2 for t in named) / len(named))
    if spread > MAX_SPREAD.total_seconds() or len(named) < MIN_DAYS:
        return "unknown", None
    return ("cooler" if falling else "warmer"), int(mean)


# Per process, the forecast of the current ten minutes: it speaks of "about" a ten-minute time, and
# a week of means costs ~40 ms at ten years of readings, too much for every 10-second poll.
_kept: dict[tuple, Forecast] = {}


def forget_forecasts() -> None:
    _kept.clear()


def window_forecast(*, overview) -> Forecast:
    """The forecast for the dashboard's overview, made afresh each ten minutes or when the advice changes."""
    at = overview.at
    placement = {
        (series.device_id, series.field): side.placement
        for side in overview.sides
        if side.placement in (INSIDE, OUTSIDE)
        for station in side.stations
        for series in station.temperatures
    }
    if {INSIDE, OUTSIDE} - set(placement.values()):
        return Forecast("unknown", text="")
    key = (int(at.timestamp()) // STEP, tuple(sorted(placement.items())), overview.advice.state)
    if key not in _kept:
        _kept.clear()
        _kept[key] = _forecast(at, placement)
    return _kept[key]


def _forecast(at: datetime, placement: dict) -> Forecast:
    start = at - timedelta(days=LOOKBACK_DAYS, hours=1)
    width, found = history_series(
        series=list(placement),
        start=start,
        end=at,
        max_points=int((at - start).total_seconds() // STEP) + 2,
    )
    sums: dict[int, dict[str, list[float]]] = {}
    for key, buckets in found.items():
        for bucket in buckets:
            t = int(bucket.start.timestamp()) // STEP * STEP
            sums.setdefault(t, {}).setdefault(placement[key], []).append(bucket.mean)
    difference = {
        t: sum(sides[OUTSIDE]) / len(sides[OUTSIDE]) - sum(sides[INSIDE]) / len(sides[INSIDE])
        for t, sides in sums.items()
        if OUTSIDE in sides and INSIDE in sides
    }
    state, turn = turn_forecast(
        difference=difference, now_s=int(at.timestamp()), hysteresis=settings.WINDOW_HYSTERESIS
    )
    if state in ("cooler", "warmer") and turn is not None:
        when = timezone.localtime(datetime.fromtimestamp(round(turn / STEP) * STEP, tz=at.tzinfo))
        text = f"Outside should be {state} than inside from about {when:%H:%M}"
        return Forecast(state, when, text)
    if state == "none":
        return Forecast(state, text="No change expected in the next 12 hours")
    return Forecast(state, text="Can't tell yet when this will change")
