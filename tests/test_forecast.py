"""The turn forecast against generated days: realistic outside curves, an inside that follows slowly.

Each day's outside has its own mean and swing (a random walk, as weather changes from day to day)
and ten-minute noise; inside drifts toward a mix of outside and the heating's 22 °C with a
six-hour time constant. At every ten minutes of the last three days the forecast is compared
with the moment the generated difference really passed the hysteresis.
"""

from __future__ import annotations

import math
import random
import statistics

import pytest

from dashboard.forecast import STEP, turn_forecast

HYSTERESIS = 0.5
DAY = 86400


def generated_days(seed: int, days: int = 10) -> dict[int, float]:
    draw = random.Random(seed)
    start = 1_780_000_000 // DAY * DAY  # a midnight (UTC, the simulation's clock)
    mean, swing, noise = 17.0, 6.0, 0.0
    inside = 22.0
    difference = {}
    for day in range(days):
        mean += draw.gauss(0, 1.2)
        swing = min(9.0, max(3.0, swing + draw.gauss(0, 0.8)))
        for k in range(DAY // STEP):
            t = start + day * DAY + k * STEP
            hour = k * STEP / 3600
            noise = 0.8 * noise + draw.gauss(0, 0.15)
            outside = mean + swing * math.sin((hour - 9) / 24 * 2 * math.pi) + noise
            inside += (0.3 * outside + 0.7 * 22.0 - inside) * STEP / (6 * 3600)
            difference[t] = outside - inside
    return difference


def true_turn(difference: dict[int, float], now_s: int) -> tuple[str, int | None]:
    current = difference[now_s]
    falling = current > -HYSTERESIS
    for k in range(1, 12 * 3600 // STEP + 1):
        d = difference.get(now_s + k * STEP)
        if d is None:
            return "end", None
        if (falling and d <= -HYSTERESIS) or (not falling and d >= HYSTERESIS):
            return ("cooler" if falling else "warmer"), now_s + k * STEP
    return "none", None


def test_the_forecast_turn_is_within_about_half_an_hour_of_the_real_one():
    errors, asked, named, wrong_way = [], 0, 0, 0
    for seed in range(12):
        difference = generated_days(seed)
        times = sorted(difference)
        for now_s in times[-3 * DAY // STEP : -12 * 3600 // STEP]:
            truth, at = true_turn(difference, now_s)
            history = {t: d for t, d in difference.items() if t <= now_s}
            state, predicted = turn_forecast(difference=history, now_s=now_s, hysteresis=HYSTERESIS)
            if truth not in ("cooler", "warmer") or at - now_s < 1800:
                continue  # a turn within half an hour is the advice's own business
            asked += 1
            if state == truth:
                named += 1
                errors.append(abs(predicted - at) / 60)
            elif state in ("cooler", "warmer"):
                wrong_way += 1
    mae = statistics.mean(errors)
    p90 = sorted(errors)[int(0.9 * len(errors))]
    print(f"turns: {asked}, named: {named / asked:.0%}, MAE {mae:.0f} min, p90 {p90:.0f} min")
    assert wrong_way == 0
    assert named / asked >= 0.7  # says a time for most turns
    assert mae <= 40 and p90 <= 90  # minutes


def test_with_less_than_two_previous_days_it_says_it_cannot_tell():
    difference = generated_days(3, days=2)
    now_s = sorted(difference)[-1] - 12 * 3600

    assert turn_forecast(difference=difference, now_s=now_s, hysteresis=HYSTERESIS) == ("unknown", None)


def test_with_no_readings_now_it_says_it_cannot_tell():
    difference = generated_days(3)
    now_s = sorted(difference)[-1] + 3 * 3600

    assert turn_forecast(difference=difference, now_s=now_s, hysteresis=HYSTERESIS) == ("unknown", None)


@pytest.mark.parametrize("offset", [0, 1])
def test_outside_staying_warmer_all_day_is_no_change(offset):
    difference = {t: 5.0 + offset for t in range(0, 8 * DAY, STEP)}

    assert turn_forecast(difference=difference, now_s=7 * DAY, hysteresis=HYSTERESIS) == ("none", None)
