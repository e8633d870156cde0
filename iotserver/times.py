"""Times and zones from the outside world, in one place: whatever arrives, a moment or a refusal.

Accepted forms: ISO 8601 (`2026-11-20T10:00:00Z`), ThingSpeak's `YYYY-MM-DD HH:NN:SS` (with a
`timezone` or an `offset`, or ` UTC` / ` -0700` as its exports write it), and Unix epoch seconds
as a number or as text. A time without a zone is in the zone the caller names. Every moment is
answered in UTC, and every moment is kept well inside what `datetime` can hold, so that the
arithmetic after it (a range of days before an end, delta_t steps) cannot overflow into a 500.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from django.utils.dateparse import parse_datetime

from iotserver.refusals import Refused

# Far past any reading and any sensible range, and still 999 years from datetime's own limits,
# so that a range of up to that many years around an accepted moment is representable.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_TEXT = 40
_EPOCH = re.compile(r"[+-]?\d{1,12}(\.\d{1,9})?", re.ASCII)
_OFFSET_SUFFIX = re.compile(r" ([+-])(\d\d):?(\d\d)$", re.ASCII)
ZONE_EXAMPLE = "a zone name such as Europe/Berlin"


def parse_zone(name: object, *, what: str = "timezone") -> tzinfo:
    """An IANA zone name (empty means UTC)."""
    if name in (None, ""):
        return UTC
    if not isinstance(name, str) or len(name) > 64:
        raise Refused(f"{what} must be {ZONE_EXAMPLE}")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise Refused(f"{what} must be {ZONE_EXAMPLE}, not {name[:40]!r}") from None


def parse_offset(text: object, *, what: str = "offset") -> tzinfo:
    """ThingSpeak's `offset`: whole hours from UTC, -12 to 14."""
    if (
        not isinstance(text, str | int)
        or isinstance(text, bool)
        or not re.fullmatch(r"[+-]?\d{1,2}", str(text))
    ):
        raise Refused(f"{what} must be whole hours from -12 to 14")
    hours = int(text)
    if not -12 <= hours <= 14:
        raise Refused(f"{what} must be whole hours from -12 to 14")
    return timezone(timedelta(hours=hours))


def zone_of(params) -> tzinfo:
    """ThingSpeak's zone for naive times: `timezone` (a zone name) or `offset` (hours), else UTC."""
    if params.get("timezone"):
        return parse_zone(params["timezone"])
    if params.get("offset") not in (None, ""):
        return parse_offset(params["offset"])
    return UTC


def _out_of_range(what: str, late: bool) -> Refused:
    if late:
        return Refused(f"{what} is too far in the future (after the year {LATEST.year - 1})")
    return Refused(f"{what} is too far in the past (before the year {EARLIEST.year})")


def within_range(moment: datetime, what: str) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise _out_of_range(what, late=moment >= LATEST)
    return moment


def parse_moment(raw: object, *, what: str = "recorded_at", zone: tzinfo = UTC) -> datetime:
    """A moment in UTC from ISO 8601, ThingSpeak's form or epoch seconds; a naive time is in `zone`."""
    refusal = Refused(f"{what} must be ISO 8601 (2026-11-20T10:00:00Z), YYYY-MM-DD HH:NN:SS or epoch seconds")
    if isinstance(raw, bool):
        raise refusal
    if isinstance(raw, int | float):
        return _from_epoch(raw, what)
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise refusal
    text = raw.strip().replace("%20", " ")
    if _EPOCH.fullmatch(text):
        return _from_epoch(float(text), what)
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    text = _OFFSET_SUFFIX.sub(r"\1\2:\3", text)
    try:
        parsed = parse_datetime(text)
    except ValueError:  # the right shape, an impossible date: 2026-02-30
        parsed = None
    if parsed is None:
        raise refusal
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return within_range(parsed.astimezone(UTC), what)
    except (OverflowError, ValueError):  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        raise _out_of_range(what, late=parsed.year > EARLIEST.year) from None


def _from_epoch(seconds: float, what: str) -> datetime:
    if not math.isfinite(seconds):
        raise Refused(f"{what} must be a finite number of epoch seconds")
    if not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise _out_of_range(what, late=seconds > 0)
    return datetime.fromtimestamp(seconds, tz=UTC)


def shifted(moment: datetime, delta: timedelta, what: str) -> datetime:
    """`moment + delta`, refused rather than overflowing when it leaves the accepted years."""
    try:
        return within_range(moment + delta, what)
    except OverflowError:
        raise _out_of_range(what, late=delta > timedelta(0)) from None
