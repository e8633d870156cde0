"""The admin: registering a station shows its key once, keys rotate and revoke, readings are read-only."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from devices.models import ApiKey, Device
from devices.selectors import device_for_key
from readings.models import Reading, Rollup
from tests.conftest import station_url

pytestmark = pytest.mark.django_db


def add_form(**overrides) -> dict:
    form = {
        "name": "Back porch",
        "mac": "6C-EF-7A-3B-9D-E8",
        "location": "Porch",
        "placement": "outside",
        "is_active": "on",
        "chosen_key": "",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "1",
        "fields-MAX_NUM_FORMS": "1000",
        "fields-0-number": "1",
        "fields-0-label": "Outside temperature",
        "fields-0-unit": "°C",
        "fields-0-kind": "temperature",
        "api_keys-TOTAL_FORMS": "0",
        "api_keys-INITIAL_FORMS": "0",
        "api_keys-MIN_NUM_FORMS": "0",
        "api_keys-MAX_NUM_FORMS": "1000",
    }
    form.update(overrides)
    return form


def shown_key(response) -> str:
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "API key for" in str(m)]
    key = re.search(r'API key for .+?: <input readonly value="([^"]+)"', message)
    assert key, message
    return key.group(1)


def test_registering_a_device_shows_its_key_once_with_the_station_url(admin_client):
    response = admin_client.post("/admin/devices/device/add/", add_form(), follow=True)

    assert response.status_code == 200
    device = Device.objects.get()
    assert device.mac == "6c:ef:7a:3b:9d:e8"
    key = shown_key(response)
    assert device_for_key(key=key, mac=device.mac) == device
    assert f"/update/API_key={key}/mac=6c:ef:7a:3b:9d:e8/field=1/data=" in response.content.decode()
    # Shown once: the next page does not carry it, and the database holds only its hash.
    assert key not in admin_client.get(f"/admin/devices/device/{device.pk}/change/").content.decode()
    assert not ApiKey.objects.filter(hashed_key=key).exists()


def test_a_reading_posted_to_the_shown_url_appears_in_the_admin(admin_client, client):
    response = admin_client.post("/admin/devices/device/add/", add_form(), follow=True)
    key = shown_key(response)

    assert client.get(f"/update/API_key={key}/mac=6c:ef:7a:3b:9d:e8/field=1/data=23.4375").status_code == 200

    listing = admin_client.get("/admin/readings/reading/").content.decode()
    assert "23.4375" in listing and "Back porch" in listing
    devices = admin_client.get("/admin/devices/device/").content.decode()
    assert "field 1: 23.4375" in devices


def test_the_admin_may_keep_an_old_boards_key(admin_client, client):
    admin_client.post("/admin/devices/device/add/", add_form(chosen_key="flask-era-key"), follow=True)

    assert (
        client.get("/update/API_key=flask-era-key/mac=6c:ef:7a:3b:9d:e8/field=1/data=20").status_code == 200
    )


def test_a_too_short_chosen_key_is_refused_by_the_form(admin_client):
    response = admin_client.post("/admin/devices/device/add/", add_form(chosen_key="short"))

    assert response.status_code == 200
    assert "at least 8 characters" in response.content.decode()
    assert not Device.objects.exists()


def test_a_malformed_mac_is_refused_by_the_form(admin_client):
    response = admin_client.post("/admin/devices/device/add/", add_form(mac="6c:ef:7r:3b:9d:e8"))

    assert "not a MAC address" in response.content.decode()
    assert not Device.objects.exists()


def test_rotating_issues_a_new_key_and_keeps_the_old_one(admin_client, client, outside):
    device = outside.api_key.device
    response = admin_client.post(
        "/admin/devices/device/", {"action": "issue_key", "_selected_action": [device.pk]}, follow=True
    )

    new_key = shown_key(response)
    assert new_key != outside.key
    assert device.api_keys.count() == 2
    assert client.get(station_url(outside)).status_code == 200


def test_revoking_a_key_in_the_admin_stops_it(admin_client, client, outside):
    admin_client.post(
        "/admin/devices/apikey/", {"action": "revoke", "_selected_action": [outside.api_key.pk]}, follow=True
    )

    assert client.get(station_url(outside)).status_code == 403
    assert Reading.objects.count() == 0


def test_deactivating_a_device_stops_its_readings(admin_client, client, outside):
    device = outside.api_key.device
    admin_client.post("/admin/devices/device/", {"action": "deactivate", "_selected_action": [device.pk]})

    assert client.get(station_url(outside)).status_code == 403


def test_readings_cannot_be_edited_or_added(admin_client, client, outside):
    client.get(station_url(outside, data="21.5"))
    reading = Reading.objects.get()

    assert admin_client.get("/admin/readings/reading/add/").status_code == 403
    admin_client.post(f"/admin/readings/reading/{reading.pk}/change/", {"value": "99", "field": "1"})

    reading.refresh_from_db()
    assert reading.value == 21.5
    page = admin_client.get(f"/admin/readings/reading/{reading.pk}/change/")
    assert page.status_code == 200 and "21.5" in page.content.decode()


def test_readings_filter_by_device_and_field(admin_client, client, outside, inside):
    client.get(station_url(outside, data="11.5"))
    client.get(station_url(inside, field=2, data="22.5"))

    page = admin_client.get(f"/admin/readings/reading/?device__id__exact={inside.api_key.device.pk}&field=2")

    body = page.content.decode()
    assert "22.5" in body and "11.5" not in body


def test_deleting_a_station_with_readings_asks_once_with_a_count_then_removes_everything(
    admin_client, client, outside, inside
):
    device = outside.api_key.device
    for value in ("20.5", "21.0", "21.5"):
        client.get(station_url(outside, data=value))
    client.get(station_url(inside, field=2, data="22.0"))
    url = f"/admin/devices/device/{device.pk}/delete/"

    page = admin_client.get(url)

    text = page.content.decode()
    assert page.status_code == 200 and "Readings: 3" in text
    assert "Cannot delete" not in text and len(page.content) < 50_000
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Device.objects.filter(pk=device.pk).exists()
    assert not Reading.objects.filter(device_id=device.pk).exists()
    assert not Rollup.objects.filter(device_id=device.pk).exists()
    assert (
        Reading.objects.filter(device=inside.api_key.device).count() == 1
    )  # the other station keeps its own


def test_a_key_shows_when_it_was_last_used(admin_client, client, outside):
    assert client.get(station_url(outside)).status_code == 200

    outside.api_key.refresh_from_db()
    assert outside.api_key.last_used_at is not None
    page = admin_client.get(f"/admin/devices/device/{outside.api_key.device.pk}/change/").content.decode()
    assert "Last used" in page


def test_replacing_a_boards_key_keeps_the_old_one_until_the_board_uses_the_new_one(
    admin_client, client, outside
):
    device = outside.api_key.device
    response = admin_client.post(
        "/admin/devices/device/", {"action": "replace_key", "_selected_action": [device.pk]}, follow=True
    )
    new = shown_key(response)

    assert client.get(station_url(outside, data="20.0")).status_code == 200  # the board not yet re-flashed
    assert client.get(station_url(outside).replace(outside.key, new)).status_code == 200

    assert client.get(station_url(outside, data="20.5")).status_code == 403  # revoked by the new key's use
    outside.api_key.refresh_from_db()
    assert outside.api_key.revoked_at is not None
