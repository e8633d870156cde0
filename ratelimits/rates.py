"""Rates in DRF's syntax ("240/min", or "off"): pure, so that settings can read them too."""

from __future__ import annotations

from dataclasses import dataclass

PERIODS = {"s": (1, "second"), "m": (60, "minute"), "h": (3600, "hour"), "d": (86400, "day")}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int
    per: str  # "minute", for the refusal's reason


def parse_rate(text: str) -> Rate | None:
    """DRF's rate syntax: "240/min" (per s, m, h or d by the first letter); "off" means no limit."""
    text = str(text).strip().lower()
    if text in ("off", ""):
        return None
    try:
        number, period = text.split("/")
        seconds, per = PERIODS[period[0]]
        count = int(number)
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"{text!r} is not a rate like 240/min, or off") from None
    if count < 1:
        raise ValueError(f"{text!r}: the count must be at least 1 (or say off)")
    return Rate(count, seconds, per)
