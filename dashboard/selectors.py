"""What the dashboard shows right now: each placement's stations, their values, and the window advice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from devices.models import INSIDE, OUTSIDE, PLACEMENTS, TEMPERATURE
from readings.advice import WindowAdvice, window_advice_now
from readings.selectors import day_extremes, fields_with_latest, hourly_trend

# Below this change per hour a temperature is "steady": sensor jitter is about 0.1 °C.
TREND_STEADY_PER_HOUR = 0.2
SIDE_ORDER = (OUTSIDE, INSIDE)


@dataclass
class SeriesNow:
    """One field of one station: its latest value and what to say about it."""

    device_id: int
    field: int
    label: str
    unit: str
    kind: str
    value: float | None
    at: datetime | None
    stale: bool
    low: float | None = None
    high: float | None = None
    trend: float | None = None  # change per hour, °C for temperatures

    @property
    def key(self) -> str:
        return f"{self.device_id}-{self.field}"

    @property
    def trend_word(self) -> str:
        if self.trend is None:
            return ""
        if abs(self.trend) < TREND_STEADY_PER_HOUR:
            return "steady"
        return "rising" if self.trend > 0 else "falling"


@dataclass
class Station:
    id: int
    name: str
    location: str
    temperatures: list[SeriesNow] = field(default_factory=list)
    others: list[SeriesNow] = field(default_factory=list)

    @property
    def all_series(self) -> list[SeriesNow]:
        return self.temperatures + self.others

    @property
    def waiting(self) -> bool:
        """No reading yet on any field."""
        return all(series.at is None for series in self.all_series)

    @property
    def stale(self) -> bool:
        """Readings once, none fresh now: the station has gone quiet."""
        return not self.waiting and all(series.stale for series in self.all_series)


@dataclass
class Side:
    placement: str
    title: str
    stations: list[Station]

    @property
    def fresh_temperatures(self) -> list[float]:
        return [
            series.value
            for station in self.stations
            for series in station.temperatures
            if series.value is not None and not series.stale
        ]

    @property
    def mean(self) -> float | None:
        """The mean of the fresh temperatures: what the advice compares when stations share a side."""
        values = self.fresh_temperatures
        return sum(values) / len(values) if values else None


@dataclass
class Overview:
    at: datetime
    sides: list[Side]
    advice: WindowAdvice
    stale_after: timedelta

    @property
    def has_devices(self) -> bool:
        return any(side.stations for side in self.sides)

    def side(self, placement: str) -> Side | None:
        return next((side for side in self.sides if side.placement == placement), None)

    @property
    def series(self) -> list[SeriesNow]:
        return [s for side in self.sides for station in side.stations for s in station.all_series]


def stale_after() -> timedelta:
    return timedelta(minutes=settings.STALE_AFTER_MINUTES)


def household_overview(*, at: datetime) -> Overview:
    """Everything the dashboard shows at `at`, in a fixed number of queries (four), however much history."""
    threshold = stale_after()
    stations: dict[int, Station] = {}
    placement_of: dict[int, str] = {}
    rows = list(fields_with_latest())
    for row in rows:
        device = row.device
        station = stations.setdefault(device.id, Station(device.id, device.name, device.location))
        placement_of[device.id] = device.placement
        series = SeriesNow(
            device_id=device.id,
            field=row.number,
            label=row.label,
            unit=row.unit,
            kind=row.kind,
            value=row.latest_value,
            at=row.latest_at,
            stale=row.latest_at is None or row.latest_at < at - threshold,
        )
        (station.temperatures if row.kind == TEMPERATURE else station.others).append(series)

    all_series = [s for station in stations.values() for s in station.all_series]
    keys = [(s.device_id, s.field) for s in all_series]
    extremes = day_extremes(series=keys, at=at)
    temperature_keys = [(s.device_id, s.field) for station in stations.values() for s in station.temperatures]
    trends = hourly_trend(series=temperature_keys, at=at)
    for series in all_series:
        series.low, series.high = extremes.get((series.device_id, series.field), (None, None))
        series.trend = trends.get((series.device_id, series.field))

    titles = dict(PLACEMENTS)
    order = [*SIDE_ORDER, *(p for p, _ in PLACEMENTS if p not in SIDE_ORDER)]
    sides = [
        Side(placement, titles[placement], [s for s in stations.values() if placement_of[s.id] == placement])
        for placement in order
    ]
    sides = [side for side in sides if side.stations or side.placement in SIDE_ORDER]
    return Overview(at=at, sides=sides, advice=window_advice_now(at=at, latest=rows), stale_after=threshold)
