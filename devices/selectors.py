"""Reads of devices and keys, and the one rule for which devices a request may read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from devices.keys import hash_key
from devices.models import READ, WRITE, ApiKey, Device
from iotserver.credentials import presented_key
from iotserver.refusals import Forbidden, NotFound

NO_READ_ACCESS = "log in, or give a read key (api_key=, or the header Authorization: Api-Key <key>)"
BAD_READ_KEY = "unknown or revoked read key (a write key does not read)"

MAX_KEY_LENGTH = 200  # far above any real key; refuses absurd input before hashing it


def device_for_key(*, key: str, mac: str | None = None) -> Device:
    """The active device that this write key belongs to; see write_key_for."""
    return write_key_for(key=key, mac=mac).device


def write_key_for(*, key: str, mac: str | None = None) -> ApiKey:
    """The unrevoked write key, with its active device, checked against the MAC the board sent.

    `mac=None` (a ThingSpeak write, which carries none) identifies the device by the key alone.
    A read key is refused like an unknown one: it was given out to read, never to post.

    One indexed query. An unknown and a revoked key get the same answer, so that the answer does
    not tell a guesser which keys once existed; a missing key is said to be missing.
    """
    if not key:
        raise Forbidden("no API key in the request")
    if len(key) > MAX_KEY_LENGTH:
        raise Forbidden("unknown or revoked API key")
    api_key = _unrevoked_key(key, scope=WRITE)
    if api_key is None:
        raise Forbidden("unknown or revoked API key")
    device = api_key.device
    if mac is not None and device.mac != mac:
        raise Forbidden("this API key does not belong to that MAC address")
    if not device.is_active:
        raise Forbidden(f"device {device.name!r} is inactive")
    return api_key


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


def _key_reader(request: HttpRequest) -> Device | None:
    """None for a logged-in person (who reads every device); else the device of the presented read key.

    Raises Forbidden when the request is neither logged in nor carries a working read key.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None
    key = presented_key(request)
    if not key:
        raise Forbidden(NO_READ_ACCESS)
    device = device_for_read_key(key=key)
    if device is None:
        raise Forbidden(BAD_READ_KEY)
    return device


def readable_devices(request: HttpRequest) -> QuerySet[Device]:
    """Every device a request may read: all of them when logged in, only its own for a read key.

    Every read surface (the read API, the CSV export, ThingSpeak's reads) asks this. Raises
    Forbidden (403) for a request with neither a login nor a working read key.
    """
    reader = _key_reader(request)
    return Device.objects.all() if reader is None else Device.objects.filter(pk=reader.pk)


def readable_device(request: HttpRequest, device_id: int, *, public: bool = False) -> Device:
    """The one device the request asks for; NotFound (404) when it may not read that one.

    `public=True` (ThingSpeak's reads) also lets anyone read a device marked public, with no
    key or any key, as ThingSpeak does for a public channel; writing still needs its write key.
    """
    try:
        reader = _key_reader(request)
    except Forbidden:
        device = _public_device(device_id) if public else None
        if device is None:
            raise
        return device
    if reader is None:
        device = Device.objects.filter(pk=device_id).first()
    else:
        device = reader if reader.pk == device_id else None
    if device is None and public:
        device = _public_device(device_id)
    if device is None:
        raise NotFound(f"no device {device_id} that you may read")
    return device


def _public_device(device_id: int) -> Device | None:
    return Device.objects.filter(pk=device_id, is_public=True).first()
