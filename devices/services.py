"""Writes to devices and keys: registering stations, issuing and revoking keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.timezone import now

from devices.keys import PREFIX_LENGTH, check_chosen_key, hash_key, new_key
from devices.models import DEFAULT_UNITS, TEMPERATURE, WRITE, ApiKey, Device, Field


@dataclass(frozen=True)
class IssuedKey:
    """A key as it is shown once, at issue; only its hash is kept."""

    api_key: ApiKey
    key: str


def key_issue(*, device: Device, key: str | None = None, scope: str = WRITE) -> IssuedKey:
    """A new key for the device; the device's other keys stay valid until revoked (rotation).

    `scope` is WRITE (posts readings) or READ (reads them, as ThingSpeak's read keys do).

    `key` lets the admin keep the key an existing board already sends, so it need not be
    re-flashed; otherwise the server makes one.
    """
    if key is None:
        key = new_key()
    else:
        check_chosen_key(key)
        if ApiKey.objects.filter(hashed_key=hash_key(key)).exists():
            raise ValueError("that key is already in use; choose another")
    api_key = ApiKey.objects.create(
        device=device, prefix=key[:PREFIX_LENGTH], hashed_key=hash_key(key), scope=scope
    )
    return IssuedKey(api_key=api_key, key=key)


# A key's last use is kept to the hour: a board posting every minute costs one UPDATE an hour.
KEY_USE_RESOLUTION = timedelta(hours=1)


def key_replace(*, device: Device) -> IssuedKey:
    """A new write key for the board; the device's current write keys stay valid until the board
    first posts with the new one, and are revoked then (key_used), so no reading is refused."""
    with transaction.atomic():
        issued = key_issue(device=device)
        ApiKey.objects.filter(device=device, scope=WRITE, revoked_at__isnull=True).exclude(
            pk=issued.api_key.pk
        ).update(replaced_by=issued.api_key)
    return issued


def key_used(*, api_key: ApiKey, at: datetime) -> None:
    """Note that a write key was used; on its first use, revoke the keys it replaces."""
    if api_key.last_used_at is not None and at - api_key.last_used_at < KEY_USE_RESOLUTION:
        return  # the station URL's hot path: nothing to write
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=at)
    if api_key.last_used_at is None:
        ApiKey.objects.filter(replaced_by=api_key, revoked_at__isnull=True).update(revoked_at=at)
    api_key.last_used_at = at


def key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = now()
        api_key.save(update_fields=["revoked_at"])


def device_register(
    *,
    name: str,
    mac: str,
    placement: str,
    location: str = "",
    temperature_field: int = 1,
    key: str | None = None,
) -> IssuedKey:
    """A new device with a temperature field and its first key."""
    with transaction.atomic():
        device = Device(name=name, mac=mac, placement=placement, location=location)
        device.full_clean()
        device.save()
        Field.objects.create(
            device=device,
            number=temperature_field,
            label="Temperature",
            unit=DEFAULT_UNITS[TEMPERATURE],
            kind=TEMPERATURE,
        )
        return key_issue(device=device, key=key)
