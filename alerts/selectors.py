"""What each notification rule sees now: one observation per subject (station, field, window advice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from alerts.models import ABOVE, BACK, BELOW, STALE, WINDOW_OPEN, WINDOW_SHUT, Channel, Rule
from devices.models import Device
from readings.advice import OPEN, SHUT, window_advice_now
from readings.selectors import fields_with_latest


@dataclass(frozen=True)
class Observation:
    """One subject of a rule at one moment.

    `holds`: True when the rule's condition holds (a message is due if the rule is armed), False
    when it clearly does not (the rule re-arms), None in between (inside the hysteresis, or no
    fresh data): nothing changes.
    """

    subject: str
    holds: bool | None
    title: str = ""
    message: str = ""


def _clock(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%H:%M") if at else "never"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def observe(*, rules: list[Rule], at: datetime) -> dict[int, list[Observation]]:
    """Every active rule's observations at `at`, reading the database a fixed number of times.

    Only stored state is read (readings, devices' last_seen): ingestion does no work for
    notifications, and a station that sends nothing at all is still noticed by the clock.
    """
    kinds = {rule.kind for rule in rules}
    advice = window_advice_now(at=at) if kinds & {WINDOW_OPEN, WINDOW_SHUT} else None
    devices = list(Device.objects.filter(is_active=True)) if kinds & {STALE, BACK} else []
    fields = list(fields_with_latest()) if kinds & {ABOVE, BELOW} else []
    observations: dict[int, list[Observation]] = {}
    for rule in rules:
        if rule.kind in (WINDOW_OPEN, WINDOW_SHUT):
            observations[rule.pk] = [_window(rule, advice)]
        elif rule.kind in (STALE, BACK):
            observations[rule.pk] = [
                _station(rule, device, at) for device in devices if _matches(rule, device)
            ]
        else:
            observations[rule.pk] = [
                _threshold(rule, field, at) for field in fields if _field_matches(rule, field)
            ]
    return observations


def _window(rule: Rule, advice) -> Observation:
    wanted, opposite = (OPEN, SHUT) if rule.kind == WINDOW_OPEN else (SHUT, OPEN)
    holds = True if advice.state == wanted else False if advice.state == opposite else None
    title = "Open the windows" if rule.kind == WINDOW_OPEN else "Shut the windows"
    return Observation("window", holds, title, advice.as_text())


def _matches(rule: Rule, device: Device) -> bool:
    return (rule.device_id is None or rule.device_id == device.pk) and (
        not rule.placement or rule.placement == device.placement
    )


def _station(rule: Rule, device: Device, at: datetime) -> Observation:
    subject = f"device:{device.pk}"
    if device.last_seen is None:
        return Observation(subject, None)  # never reported: waiting for its first reading, not quiet
    assert rule.minutes, "Rule.clean: a station rule has its minutes of silence"
    quiet = device.last_seen < at - timedelta(minutes=rule.minutes)
    if rule.kind == STALE:
        return Observation(
            subject,
            quiet,
            f"{device.name} has gone quiet",
            f"{device.name} has not reported for {rule.minutes} minutes "
            f"(last reading at {_clock(device.last_seen)}).",
        )
    return Observation(
        subject,
        not quiet,
        f"{device.name} is back",
        f"{device.name} is reporting again (latest reading at {_clock(device.last_seen)}).",
    )


def _field_matches(rule: Rule, field) -> bool:
    return (
        _matches(rule, field.device)
        and (rule.field_number is None or rule.field_number == field.number)
        and (rule.field_number is not None or field.kind == rule.field_kind)
    )


def _threshold(rule: Rule, field, at: datetime) -> Observation:
    subject = f"field:{field.device_id}:{field.number}"
    fresh_after = at - timedelta(minutes=settings.STALE_AFTER_MINUTES)
    if field.latest_value is None or field.latest_at < fresh_after:
        return Observation(subject, None)  # an old value says nothing about now
    value, threshold = field.latest_value, rule.threshold
    assert threshold is not None, "Rule.clean: a threshold rule has its threshold"
    if rule.kind == ABOVE:
        holds = True if value > threshold else False if value <= threshold - rule.hysteresis else None
        word = "above"
    else:
        holds = True if value < threshold else False if value >= threshold + rule.hysteresis else None
        word = "below"
    unit = f" {field.unit}" if field.unit else ""
    return Observation(
        subject,
        holds,
        rule.name,
        f"{field.device.name}: {field.label} is {_number(value)}{unit} at {_clock(field.latest_at)}, "
        f"{word} {_number(threshold)}{unit}.",
    )


def channels_for(*, rule: Rule) -> QuerySet[Channel]:
    """The active channels of the active household members subscribed to the rule."""
    return Channel.objects.filter(
        is_active=True, user__is_active=True, user__subscription__rule=rule
    ).select_related("user")


def channels_of(*, user) -> QuerySet[Channel]:
    return Channel.objects.filter(user=user).order_by("name", "id")
