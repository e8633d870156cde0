"""Reads of devices and keys."""

from __future__ import annotations

from devices.keys import hash_key
from devices.models import ApiKey, Device
from iotserver.refusals import Forbidden

MAX_KEY_LENGTH = 200  # far above any real key; refuses absurd input before hashing it


def device_for_key(*, key: str, mac: str | None = None) -> Device:
    """The active device that this key belongs to, checked against the MAC the board sent.

    One indexed query. A missing, unknown and revoked key get the same answer, so that the
    answer does not tell a guesser which keys once existed.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Forbidden("unknown or revoked API key")
    api_key = (
        ApiKey.objects.select_related("device")
        .filter(hashed_key=hash_key(key), revoked_at__isnull=True)
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
