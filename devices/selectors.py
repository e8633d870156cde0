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
    api_key = _unrevoked_key(key, scope=WRITE)
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
    api_key = _unrevoked_key(key, scope=READ)
    return api_key.device if api_key else None


def _unrevoked_key(key: str, *, scope: str) -> ApiKey | None:
    # get() on the unique hash, with no ORDER BY: this runs for every reading, and .first()
    # would order by ApiKey's Meta.ordering, joining and sorting for nothing.
    try:
        return ApiKey.objects.select_related("device").get(
            hashed_key=hash_key(key), revoked_at__isnull=True, scope=scope
        )
    except ApiKey.DoesNotExist:
        return None
