"""The station URL: GET /update/API_key=<key>/mac=<mac>/field=<n>/data=<value>, as the boards send it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from devices.services import key_issue, key_revoke
from readings.models import Reading
from tests.conftest import station_url

pytestmark = pytest.mark.django_db


def test_it_stores_a_reading_and_answers_its_id(client, outside):
    response = client.get(station_url(outside, data="21.5625"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    reading = Reading.objects.get()
    assert response.content.decode().strip() == str(reading.id)
    assert reading.device == outside.api_key.device
    assert (reading.field, reading.value, reading.stamped_by_device) == (1, 21.5625, False)
    assert abs(reading.recorded_at - now()) < timedelta(seconds=5)


def test_it_accepts_the_url_without_the_update_prefix(client, outside):
    response = client.get(station_url(outside, prefix=""))

    assert response.status_code == 200
    assert Reading.objects.get().value == 21.5625


def test_it_accepts_a_trailing_slash(client, outside):
    assert client.get(station_url(outside) + "/").status_code == 200
    assert Reading.objects.count() == 1


def test_it_updates_last_seen(client, outside):
    device = outside.api_key.device
    assert device.last_seen is None

    client.get(station_url(outside))

    device.refresh_from_db()
    assert device.last_seen == Reading.objects.get().recorded_at


def test_it_takes_the_mac_in_any_case_and_with_dashes(client, outside):
    url = f"/update/API_key={outside.key}/mac=6C-EF-7A-3B-9D-E8/field=1/data=20.0"

    assert client.get(url).status_code == 200
    assert Reading.objects.count() == 1


def test_the_inside_board_posts_on_field_2(client, inside):
    assert client.get(station_url(inside, field=2, data="24.25")).status_code == 200
    assert Reading.objects.get().field == 2


def test_negative_temperatures_are_kept(client, outside):
    assert client.get(station_url(outside, data="-12.0625")).status_code == 200
    assert Reading.objects.get().value == -12.0625


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("wrong-key-entirely", "unknown or revoked API key"),
        ("", "no API key in the request"),
        ("x" * 300, "unknown or revoked API key"),
    ],
)
def test_it_refuses_an_unknown_key(client, outside, key, reason):
    response = client.get(f"/update/API_key={key}/mac={outside.api_key.device.mac}/field=1/data=21.5")

    assert response.status_code == 403
    assert response.content.decode() == reason + "\n"
    assert Reading.objects.count() == 0


def test_it_refuses_a_revoked_key(client, outside):
    key_revoke(api_key=outside.api_key)

    response = client.get(station_url(outside))

    assert response.status_code == 403
    assert Reading.objects.count() == 0


def test_a_rotated_key_works_beside_the_old_one_until_that_is_revoked(client, outside):
    device = outside.api_key.device
    rotated = key_issue(device=device)

    assert client.get(station_url(outside)).status_code == 200
    assert client.get(station_url(rotated)).status_code == 200
    key_revoke(api_key=outside.api_key)
    assert client.get(station_url(outside)).status_code == 403
    assert client.get(station_url(rotated)).status_code == 200
    assert Reading.objects.filter(device=device).count() == 3


def test_it_refuses_a_key_with_another_devices_mac(client, outside, inside):
    url = f"/update/API_key={outside.key}/mac={inside.api_key.device.mac}/field=2/data=21.5"

    response = client.get(url)

    assert response.status_code == 403
    assert "does not belong" in response.content.decode()
    assert Reading.objects.count() == 0


def test_it_refuses_an_inactive_device(client, outside):
    device = outside.api_key.device
    device.is_active = False
    device.save()

    response = client.get(station_url(outside))

    assert response.status_code == 403
    assert "inactive" in response.content.decode()
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("mac", ["6c:ef:7r:3b:9d:e8", "6cef7a3b9d", "6c:ef-7a:3b:9d:e8", "zz"])
def test_it_refuses_a_malformed_mac(client, outside, mac):
    response = client.get(f"/update/API_key={outside.key}/mac={mac}/field=1/data=21.5")

    assert response.status_code == 400
    assert "mac" in response.content.decode()
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("field", ["0", "9", "abc", "-1", "1.0", "100"])
def test_it_refuses_a_field_outside_1_to_8(client, outside, field):
    response = client.get(station_url(outside, field=field))

    assert response.status_code == 400
    assert "field" in response.content.decode()
    assert Reading.objects.count() == 0


def test_it_refuses_a_field_the_device_does_not_have(client, outside):
    response = client.get(station_url(outside, field=3))

    assert response.status_code == 400
    assert "field 3 is not set up" in response.content.decode()
    assert Reading.objects.count() == 0


@pytest.mark.parametrize(
    "data", ["abc", "nan", "NaN", "inf", "-inf", "1e309", "21,5", "%2021.5", "21.5%20", "", "0x10", "1_000"]
)
def test_it_refuses_data_that_is_not_a_finite_number(client, outside, data):
    response = client.get(station_url(outside, data=data))

    assert response.status_code == 400
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("data", ["-91", "70.5", "1000"])
def test_it_refuses_an_implausible_temperature(client, outside, data):
    response = client.get(station_url(outside, data=data))

    assert response.status_code == 400
    assert "not a plausible temperature" in response.content.decode()
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("method", ["post", "put", "delete", "head"])
def test_it_refuses_other_methods(client, outside, method):
    response = getattr(client, method)(station_url(outside))

    assert response.status_code == 405
    assert Reading.objects.count() == 0


def test_an_encoded_slash_in_a_value_finds_no_route(client, outside):
    response = client.get(station_url(outside, data="21%2F5"))

    assert response.status_code == 404
    assert Reading.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_one_reading_costs_a_fixed_number_of_queries(client, outside):
    """Key and device in one query, the device's fields, then one transaction holding the
    insert, the rollups' upsert and last_seen: nothing that grows with the data."""
    client.get(station_url(outside))  # warm the connection's init commands out of the count

    with CaptureQueriesContext(connection) as queries:
        response = client.get(station_url(outside))

    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # BEGIN and COMMIT show as statements on SQLite only; PostgreSQL's driver sends them unlogged.
    data_statements = [s for s in statements if s not in ("BEGIN", "COMMIT")]
    # The second INSERT is the rollups' upsert (readings/rollups.py): one statement for the
    # 5-minute, hourly and daily buckets together, so history never scans raw rows.
    assert data_statements == ["SELECT", "SELECT", "INSERT", "INSERT", "UPDATE"], statements
