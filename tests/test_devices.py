"""Devices and their keys: MAC normalisation, key issue, rotation and revocation, storage by hash."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from devices.keys import hash_key
from devices.mac import normalise_mac
from devices.models import OUTSIDE, TEMPERATURE, ApiKey, Device
from devices.selectors import device_for_key
from devices.services import device_register, key_issue, key_revoke
from iotserver.refusals import Forbidden


@pytest.mark.parametrize(
    "given",
    ["AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff", "aabbccddeeff", " Aa:bB:cc:DD:ee:Ff ", "AABBCCDDEEFF"],
)
def test_a_mac_is_stored_lowercase_with_colons(given):
    assert normalise_mac(given) == "aa:bb:cc:dd:ee:ff"


@pytest.mark.parametrize(
    "given",
    [
        "",
        "aa:bb:cc:dd:ee",
        "aa:bb:cc:dd:ee:ff:00",
        "gg:bb:cc:dd:ee:ff",
        "aa:bb-cc:dd:ee:ff",
        "aa.bb.cc.dd.ee.ff",
    ],
)
def test_a_malformed_mac_is_refused(given):
    with pytest.raises(ValueError):
        normalise_mac(given)


@pytest.mark.django_db
def test_registering_normalises_the_mac_and_adds_a_temperature_field():
    issued = device_register(name="Shed", mac="0A-1B-2C-3D-4E-5F", placement=OUTSIDE, temperature_field=2)

    device = Device.objects.get(name="Shed")
    assert device.mac == "0a:1b:2c:3d:4e:5f"
    assert [(f.number, f.kind, f.unit) for f in device.fields.all()] == [(2, TEMPERATURE, "°C")]
    assert issued.api_key.device == device


@pytest.mark.django_db
def test_two_devices_cannot_share_a_mac_whatever_its_spelling(outside):
    with pytest.raises(ValidationError):
        device_register(name="Copy", mac="6c:ef:7a:3b:9d:e8".upper(), placement=OUTSIDE)
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_a_generated_key_is_url_safe_strong_and_only_its_hash_is_kept(outside):
    key = outside.key
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", key)  # 24 random bytes: 192 bits, no '/'
    stored = ApiKey.objects.get()
    assert stored.hashed_key == hash_key(key)
    assert key not in {stored.hashed_key, stored.prefix}
    assert len(stored.prefix) < 8
    assert all(key not in str(value) for value in ApiKey.objects.values_list().get())


@pytest.mark.django_db
def test_keys_are_different_every_time(outside):
    device = outside.api_key.device
    keys = {key_issue(device=device).key for _ in range(20)}
    assert len(keys) == 20


@pytest.mark.django_db
def test_a_chosen_key_is_accepted_for_an_old_board(db):
    issued = device_register(
        name="Old board", mac="6c:ef:7a:3b:9d:00", placement=OUTSIDE, key="my-old-flask-key"
    )

    assert issued.key == "my-old-flask-key"
    assert device_for_key(key="my-old-flask-key", mac="6c:ef:7a:3b:9d:00").name == "Old board"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["short", "has/slash!", "spaces are bad"])
def test_a_chosen_key_must_be_long_enough_and_url_safe(key):
    with pytest.raises(ValueError):
        device_register(name="Old board", mac="6c:ef:7a:3b:9d:00", placement=OUTSIDE, key=key)
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_a_chosen_key_already_in_use_is_refused(outside):
    with pytest.raises(ValueError, match="in use"):
        key_issue(device=outside.api_key.device, key=outside.key)


@pytest.mark.django_db
def test_revoking_one_key_leaves_the_others(outside):
    device = outside.api_key.device
    new = key_issue(device=device)

    key_revoke(api_key=outside.api_key)

    with pytest.raises(Forbidden):
        device_for_key(key=outside.key, mac=device.mac)
    assert device_for_key(key=new.key, mac=device.mac) == device
    assert ApiKey.objects.get(pk=outside.api_key.pk).is_revoked
