"""Records from the hourly rollups: each side's highs and lows by period, and month and year summaries.

Days are the household's (TIME_ZONE): hourly rollups are summed into local days inside the
database, a handful of rows per series and day, so ten years cost one grouped scan of ~90,000
hourly rows per series, never the ten million readings. The moment of a record comes from one
indexed query on that day's readings. In a zone whose offset is not whole hours (India, Nepal),
a day boundary falls inside an hour and that hour counts to the day it starts in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Min, Q

from devices.models import INSIDE, OUTSIDE, PLACEMENTS, TEMPERATURE, Field
from readings.models import Reading, Rollup

HOUR = 3600
SIDES = (OUTSIDE, INSIDE)
SeriesKey = tuple[int, int]


@dataclass
class Extreme:
    value: float
    day: date
    station: str
    at: datetime | None = None  # the reading's own time, when found


@dataclass
class Period:
    title: str
    high: Extreme | None
    low: Extreme | None


@dataclass
class Summary:
    """One month's or year's line of the table, as weewx's NOAA summaries give it."""

    label: str
    mean: float
    low: float
    high: float
    warm_days: int  # days whose high reached RECORDS_WARM_DAY
    frost_days: int  # days whose low fell to RECORDS_FROST_NIGHT or below
    days: int  # days with readings


@dataclass
class SideRecords:
    placement: str
    title: str
    periods: list[Period] = field(default_factory=list)
    warmest_night: Extreme | None = None  # the highest daily low of a whole day
    coldest_day: Extreme | None = None  # the lowest daily high of a whole day
    months: list[Summary] = field(default_factory=list)
    years: list[Summary] = field(default_factory=list)

    @property
    def tables(self) -> list[dict]:
        """The month and year tables as the page lays them out."""
        return [
            {"key": "months", "title": "Month by month", "column": "Month", "rows": self.months},
            {"key": "years", "title": "Year by year", "column": "Year", "rows": self.years},
        ]

    @property
    def has_readings(self) -> bool:
        return any(p.high for p in self.periods)


@dataclass
class _Day:
    low: float
    high: float
    total: float
    count: int
    low_key: SeriesKey
    high_key: SeriesKey


def _offsets(zone: ZoneInfo, start: int, end: int) -> tuple[list[int], list[int]]:
    """The zone's UTC offsets (seconds) over [start, end] hours: (first hour of each, offset)."""

    def offset(hour: int) -> int:
        shift = datetime.fromtimestamp(hour * HOUR, tz=UTC).astimezone(zone).utcoffset()
        return int(shift.total_seconds()) if shift is not None else 0

    starts, values = [start], [offset(start)]
    hour = start
    while hour < end:
        step = min(24 * 7, end - hour)  # a week: no zone changes its offset twice in one
        if offset(hour + step) != values[-1]:
            low, high = hour, hour + step  # the change lies in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == values[-1] else (low, middle)
            starts.append(high)
            values.append(offset(high))
        hour += step
    return starts, values


# Past days, per process: {(series, zone, first hour of today): (computed at, days)}. Grouping ten
# years of hours takes about a second on SQLite; today's hours are always read afresh, and a late
# reading into an earlier day shows within PAST_DAYS_FOR.
PAST_DAYS_FOR = timedelta(minutes=10)
_past_days: dict[tuple, tuple[datetime, dict]] = {}


def _local_days(
    series: list[SeriesKey],
    zone: ZoneInfo,
    now_hour: int,
    *,
    first: int | None = None,
    after: int | None = None,
) -> dict[SeriesKey, dict[date, tuple]]:
    """{series: {local day: (low, high, total, count)}} from the hourly rollups, grouped in the database.

    Only hours from `first` and before `after` when given.
    """
    if not series:
        return {}
    pairs = Q()
    for device_id, number in series:
        pairs |= Q(device_id=device_id, field=number)
    hours = Rollup.objects.filter(pairs, width=HOUR)
    if first is None:
        first = hours.aggregate(first=Min("bucket"))["first"]
        if first is None:
            return {}
    starts, offsets = _offsets(zone, first, max(first, now_hour) + 1)
    # The offset of each hour, as a CASE over the zone's changes (none at all in UTC).
    changes = " ".join(f"WHEN bucket < {s} THEN {o}" for s, o in zip(starts[1:], offsets, strict=False))
    case = f"CASE {changes} ELSE {offsets[-1]} END" if changes else str(offsets[-1])
    table = connection.ops.quote_name(Rollup._meta.db_table)
    count_ = connection.ops.quote_name("count")
    where = " OR ".join(["(device_id = %s AND field = %s)"] * len(series))
    span = f" AND bucket >= {int(first)}" + (f" AND bucket < {int(after)}" if after is not None else "")
    sql = (
        f"SELECT device_id, field, (bucket * {HOUR} + ({case})) / 86400 AS day, "
        f"MIN(low), MAX(high), SUM(total), SUM({count_}) FROM {table} "
        f"WHERE width = {HOUR} AND ({where}){span} GROUP BY 1, 2, 3"
    )
    epoch = date(1970, 1, 1)
    found: dict[SeriesKey, dict[date, tuple]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in series for value in key])
        for device_id, number, day, low, high, total, count in cursor.fetchall():
            found[(device_id, number)][epoch + timedelta(days=int(day))] = (low, high, total, int(count))
    return found


def _days(series: list[SeriesKey], zone: ZoneInfo, at: datetime) -> dict[SeriesKey, dict[date, tuple]]:
    """The past days from the per-process copy (made afresh when older than PAST_DAYS_FOR), today live."""
    local = at.astimezone(zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    today_hour = int(midnight.timestamp()) // HOUR
    now_hour = int(at.timestamp()) // HOUR
    key = (tuple(series), str(zone), today_hour)
    kept = _past_days.get(key)
    if kept is None or kept[0] < at - PAST_DAYS_FOR or kept[0] > at:
        _past_days.clear()  # one household: the newest copy is the only one worth keeping
        kept = (at, _local_days(series, zone, now_hour, after=today_hour))
        _past_days[key] = kept
    days = {k: dict(v) for k, v in kept[1].items()}
    for k, today in _local_days(series, zone, now_hour, first=today_hour).items():
        days.setdefault(k, {}).update(today)
    return days


def forget_past_days() -> None:
    """Drop the per-process copy (tests, and after rebuilding rollups)."""
    _past_days.clear()


def _side_days(series: list[SeriesKey], per_series: dict) -> dict[date, _Day]:
    days: dict[date, _Day] = {}
    for key in series:
        for day, (low, high, total, count) in per_series.get(key, {}).items():
            seen = days.get(day)
            if seen is None:
                days[day] = _Day(low, high, total, count, key, key)
                continue
            if low < seen.low:
                seen.low, seen.low_key = low, key
            if high > seen.high:
                seen.high, seen.high_key = high, key
            seen.total += total
            seen.count += count
    return days


def _summary(label: str, days: list[_Day]) -> Summary:
    warm, frost = settings.RECORDS_WARM_DAY, settings.RECORDS_FROST_NIGHT  # not once per day: lazy settings
    return Summary(
        label=label,
        mean=sum(d.total for d in days) / sum(d.count for d in days),
        low=min(d.low for d in days),
        high=max(d.high for d in days),
        warm_days=sum(d.high >= warm for d in days),
        frost_days=sum(d.low <= frost for d in days),
        days=len(days),
    )


def household_records(*, at: datetime) -> list[SideRecords]:
    """Outside's and inside's records up to `at`: a query for the days, and one per record's moment."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = at.astimezone(zone).date()
    fields = list(
        Field.objects.filter(kind=TEMPERATURE, device__is_active=True, device__placement__in=SIDES)
        .select_related("device")
        .order_by("device__name", "number")
    )
    names = {(f.device_id, f.number): f.device.name for f in fields}
    per_series = _days(list(names), zone, at)
    titles = dict(PLACEMENTS)
    moments: dict[tuple, datetime | None] = {}

    def extreme(value: float, day: date, key: SeriesKey) -> Extreme:
        if (key, day, value) not in moments:
            # The first reading of that value within the local day (23, 24 or 25 hours long).
            start = datetime(day.year, day.month, day.day, tzinfo=zone)
            following = day + timedelta(days=1)
            end = datetime(following.year, following.month, following.day, tzinfo=zone)
            moments[(key, day, value)] = (
                Reading.objects.filter(
                    device_id=key[0],
                    field=key[1],
                    recorded_at__gte=start,
                    recorded_at__lt=end,
                    value=value,
                )
                .order_by("recorded_at")
                .values_list("recorded_at", flat=True)
                .first()
            )
        return Extreme(value=value, day=day, station=names[key], at=moments[(key, day, value)])

    sides = []
    for placement in SIDES:
        series = [key for key, f in zip(names, fields, strict=True) if f.device.placement == placement]
        days = _side_days(series, per_series)
        side = SideRecords(placement=placement, title=titles[placement])
        spans = (
            ("Today", lambda d: d == today),
            ("This month", lambda d: (d.year, d.month) == (today.year, today.month)),
            ("This year", lambda d: d.year == today.year),
            ("All time", lambda d: d <= today),
        )
        for title, within in spans:
            chosen = [(day, row) for day, row in days.items() if within(day)]
            if not chosen:
                side.periods.append(Period(title, None, None))
                continue
            high_day, high = max(chosen, key=lambda pair: (pair[1].high, -pair[0].toordinal()))
            low_day, low = min(chosen, key=lambda pair: (pair[1].low, pair[0].toordinal()))
            side.periods.append(
                Period(
                    title,
                    extreme(high.high, high_day, high.high_key),
                    extreme(low.low, low_day, low.low_key),
                )
            )
        whole = [(day, row) for day, row in days.items() if day < today]
        if whole:
            day, row = max(whole, key=lambda pair: (pair[1].low, -pair[0].toordinal()))
            side.warmest_night = Extreme(row.low, day, names[row.low_key])
            day, row = min(whole, key=lambda pair: (pair[1].high, pair[0].toordinal()))
            side.coldest_day = Extreme(row.high, day, names[row.high_key])
        by_month: dict[tuple[int, int], list[_Day]] = defaultdict(list)
        by_year: dict[int, list[_Day]] = defaultdict(list)
        for day in sorted(days):
            by_month[(day.year, day.month)].append(days[day])
            by_year[day.year].append(days[day])
        side.months = [
            _summary(date(y, m, 1).strftime("%b %Y"), rows)
            for (y, m), rows in sorted(by_month.items(), reverse=True)
        ]
        side.years = [_summary(str(y), rows) for y, rows in sorted(by_year.items(), reverse=True)]
        sides.append(side)
    return sides
