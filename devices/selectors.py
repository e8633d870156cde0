"""Reads of devices and keys."""

from __future__ import annotations

from devices.keys import hash_key
from devices.models import READ, WRITE, ApiKey, Device
from iotserver.refusals import Forbidden

MAX_KEY_LENGTH = 200  # far above any real key; refuses absurd input before hashing it


def device_for_key(*, key: str, mac: str | None = None) -> Device:
    """The active device that this write key belongs to, checked against the MAC the board sent.

    `mac=None` (a ThingSpeak write, which carries none) identifies the device by the key alone.
    A read key is refused like an unknown one: it was given out to read, never to post.

    One indexed query. A missing, unknown and revoked key get the same answer, so that the
    answer does not tell a guesser which keys once existed.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Forbidden("unknown or revoked API key")
    api_key = (
        ApiKey.objects.select_related("device")
        .filter(hashed_key=hash_key(key), revoked_at__isnull=True, scope=WRITE)
        .first()
    )
    if api_key is None:
        raise Forbidden("unknown or revoked API key")
    device = api_key.device
    if mac is not None and device.mac != mac:
        raise Forbidden("this API key does not belong to that MAC address")
    if not device.is_active:
        raise Forbidden(f"device {device.name!r} is inactive")
    return device


def device_for_read_key(*, key: str) -> Device | None:
    """The device this unrevoked read key may read, or None. A write key does not read."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    api_key = (
        ApiKey.objects.select_related("device")
        .filter(hashed_key=hash_key(key), revoked_at__isnull=True, scope=READ)
        .first()
    )
    return api_key.device if api_key else None
