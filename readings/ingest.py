"""The one way in for readings: credentials, then the rate limits, then the store.

Every protocol (the station URL, the JSON form, ThingSpeak's update and bulk update, MQTT) parses
its own wire format into NewReadings and a key, and calls `ingest`. Nothing else reaches
`record_readings` from a request; import-linter's contracts in pyproject.toml hold that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.timezone import now

from devices.models import Device
from devices.selectors import write_key_for
from devices.services import key_used
from iotserver.refusals import Forbidden
from ratelimits.throttles import limit, setting_rate
from readings.rules import EntryExtras, NewReading
from readings.services import record_readings


@dataclass(frozen=True)
class Ingested:
    device: Device
    ids: list[int]


def ingest(
    *,
    key: str,
    mac: str | None,
    readings: Sequence[NewReading],
    client: str,
    channel: int | None = None,
    extras: EntryExtras | None = None,
    notes: Mapping[datetime, EntryExtras] | None = None,
) -> Ingested:
    """Store the readings for the device this write key posts for; answer its ids, in order.

    `mac=None` (ThingSpeak, which carries none) identifies the device by the key alone; `channel`
    (ThingSpeak's bulk update names one) must then be that device. `client` is who sent it (an
    address, an MQTT client id): refused keys count against it, so a guesser is slowed down while
    a board with a valid key is never refused for a misconfigured neighbour behind its router.
    `extras` (ThingSpeak's /update) makes the readings one entry: its status and location are
    stored with it, and a created_at the device already holds another entry at is refused.
    `notes` (ThingSpeak's bulk updates) are the status and location of the entries at those
    moments, stored with their readings.

    Raises Forbidden (403) for a refused key, TooMany (429) over a rate, Refused (400) for a
    reading that breaks a rule, Conflict (409) for an entry's taken moment; nothing is stored then.
    """
    try:
        api_key = write_key_for(key=key, mac=mac)
    except Forbidden:
        limit(f"unknown-key:{client}", setting_rate("UNKNOWN_KEY_RATE_LIMIT"), "refused keys")
        raise
    device = api_key.device
    if channel is not None and device.pk != channel:
        raise Forbidden(f"this write key is not for channel {channel}")
    limit(f"device:{device.pk}", setting_rate("DEVICE_RATE_LIMIT"), f"device {device.name!r}")
    ids = record_readings(device=device, readings=readings, extras=extras, notes=notes)
    key_used(api_key=api_key, at=now())  # after the store: a refused batch is no use of the key
    return Ingested(device, ids)
