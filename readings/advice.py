"""The answer to the heat problem: should the windows be open? The one place the advice is made.

`window_advice_now` is what the dashboard and the notification sender both ask; the rule itself
(`window_advice`, `advice_over`) is pure functions, no HTTP, no database.

The rule, with a hysteresis h (WINDOW_HYSTERESIS, 0.5 °C by default) so that the advice does not
flicker while the two temperatures cross:

- outside at least h cooler than inside: open the windows;
- outside at least h warmer than inside: keep them shut;
- in between: keep whatever the advice was last time (the outside air has not yet become
  clearly cooler or warmer); with no earlier advice, say they are about the same.

The previous advice is not stored anywhere: `advice_over` replays the recent history (pairs of
inside and outside means, oldest first) through the rule, so the same readings always give the
same answer on every worker, page and notification.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from devices.models import INSIDE, OUTSIDE, TEMPERATURE
from readings.selectors import fields_with_latest, history_series

OPEN = "open"
SHUT = "shut"
EVEN = "even"  # within the hysteresis with no earlier advice to keep
UNKNOWN = "unknown"  # a side has no fresh reading
# How far back the advice replays history to know what it advised before (hysteresis).
ADVICE_LOOKBACK = timedelta(hours=3)


@dataclass(frozen=True)
class WindowAdvice:
    state: str
    # Outside minus inside, °C; None when a side is missing. Negative: outside is cooler.
    difference: float | None
    # What to tell the household; "{delta}" stands for the size of the difference in the
    # reader's unit (°C or °F), which only the page knows.
    text: str

    def as_text(self, delta: str | None = None) -> str:
        if delta is None and self.difference is not None:
            delta = one_decimal(abs(self.difference)) + "°"
        return self.text.replace("{delta}", delta or "")


def one_decimal(value: float) -> str:
    """To one decimal, halves rounded up as the page's script and Django's floatformat do (1.25 → 1.3)."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def window_advice(
    *, inside: float | None, outside: float | None, hysteresis: float, previous: str | None = None
) -> WindowAdvice:
    """The advice for these inside and outside temperatures (°C), given the advice before it."""
    if inside is None and outside is None:
        return WindowAdvice(UNKNOWN, None, "Not enough data: no fresh reading from inside or outside")
    if inside is None:
        return WindowAdvice(UNKNOWN, None, "Not enough data: no fresh reading from inside")
    if outside is None:
        return WindowAdvice(UNKNOWN, None, "Not enough data: no fresh reading from outside")
    difference = round(outside - inside, 6)  # float noise must not decide a threshold
    if difference <= -hysteresis:
        state = OPEN
    elif difference >= hysteresis:
        state = SHUT
    elif previous in (OPEN, SHUT):
        state = previous
    else:
        state = EVEN
    return WindowAdvice(state, difference, _text(state, difference))


def _text(state: str, difference: float) -> str:
    cooler = difference < 0
    if state == OPEN:
        if cooler:
            return "Outside is {delta} cooler than inside: open the windows"
        return "Outside is {delta} warmer than inside, not yet by much: the windows can stay open for now"
    if state == SHUT:
        if cooler or difference == 0:
            return "Outside is only {delta} cooler than inside: keep the windows shut for now"
        return "Outside is {delta} warmer than inside: keep the windows shut"
    if difference == 0:
        return "Outside is as warm as inside"
    return "Outside is {delta} " + ("cooler" if cooler else "warmer") + " than inside: about the same"


def advice_over(history: Iterable[tuple[float | None, float | None]], *, hysteresis: float) -> WindowAdvice:
    """The advice after replaying (inside, outside) pairs, oldest first; the last pair is now.

    Pairs with a missing side are skipped except the last: a gap in one station's history
    does not erase what was advised before it, but no fresh reading now means no advice now.
    """
    previous: str | None = None
    advice = window_advice(inside=None, outside=None, hysteresis=hysteresis)
    for inside, outside in history:
        advice = window_advice(inside=inside, outside=outside, hysteresis=hysteresis, previous=previous)
        if advice.state in (OPEN, SHUT):
            previous = advice.state
    return advice


def _mean(values: list[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


def window_advice_now(*, at: datetime, latest: Iterable | None = None) -> WindowAdvice:
    """The advice at `at`: the last hours' inside and outside means replayed through the rule,
    then the fresh means of now. Two queries; none when the caller passes the rows of
    `fields_with_latest()` it has already (`latest`), plus the one for history.

    A side's mean is over its fresh temperatures (newer than STALE_AFTER_MINUTES): stations that
    share a side are averaged, and a station gone quiet does not speak for now.
    """
    rows = list(fields_with_latest() if latest is None else latest)
    fresh_after = at - timedelta(minutes=settings.STALE_AFTER_MINUTES)
    temperatures = [r for r in rows if r.kind == TEMPERATURE and r.device.placement in (INSIDE, OUTSIDE)]
    placement_of = {r.device_id: r.device.placement for r in temperatures}
    now: dict[str, list[float]] = {}
    for row in temperatures:
        if row.latest_value is not None and row.latest_at is not None and row.latest_at >= fresh_after:
            now.setdefault(row.device.placement, []).append(row.latest_value)
    keys = [(r.device_id, r.number) for r in temperatures]
    _, history = history_series(series=keys, start=at - ADVICE_LOOKBACK, end=at, max_points=37)
    # {bucket start: {placement: [bucket means]}}
    moments: dict[datetime, dict[str, list[float]]] = {}
    for (device_id, _field), buckets in history.items():
        for bucket in buckets:
            moments.setdefault(bucket.start, {}).setdefault(placement_of[device_id], []).append(bucket.mean)
    pairs = [(_mean(moments[m].get(INSIDE)), _mean(moments[m].get(OUTSIDE))) for m in sorted(moments)]
    pairs.append((_mean(now.get(INSIDE)), _mean(now.get(OUTSIDE))))
    return advice_over(pairs, hysteresis=settings.WINDOW_HYSTERESIS)
