"""The JSON form: POST /api/readings/, one reading or a batch sent after an outage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.timezone import now

from devices.models import HUMIDITY, PRESSURE, Field
from devices.services import key_revoke
from readings.models import Reading

pytestmark = pytest.mark.django_db

URL = "/api/readings/"


def post(client, body, key=None, **headers):
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {key}"
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **headers)


def mac_of(issued) -> str:
    return issued.api_key.device.mac


def test_a_single_reading_is_stored_with_the_server_time(client, outside):
    response = post(client, {"mac": mac_of(outside), "field": 1, "data": 21.5}, key=outside.key)

    assert response.status_code == 201
    reading = Reading.objects.get()
    assert response.json() == {"ids": [reading.id]}
    assert (reading.field, reading.value, reading.stamped_by_device) == (1, 21.5, False)
    assert abs(reading.recorded_at - now()) < timedelta(seconds=5)


def test_the_key_may_come_in_the_body(client, outside):
    response = post(client, {"api_key": outside.key, "mac": mac_of(outside), "field": 1, "data": "19.25"})

    assert response.status_code == 201
    assert Reading.objects.get().value == 19.25


def test_a_batch_is_stored_with_the_boards_times(client, outside):
    base = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
    readings = [
        {"field": 1, "data": 10.0 + i, "recorded_at": (base + timedelta(minutes=i)).isoformat()}
        for i in range(3)
    ]
    readings.append({"field": 1, "data": 13.5, "recorded_at": int((base + timedelta(minutes=3)).timestamp())})

    response = post(client, {"mac": mac_of(outside), "readings": readings}, key=outside.key)

    assert response.status_code == 201
    stored = list(Reading.objects.order_by("recorded_at"))
    assert response.json()["ids"] == [r.id for r in stored]
    assert [r.value for r in stored] == [10.0, 11.0, 12.0, 13.5]
    assert [r.recorded_at for r in stored] == [base + timedelta(minutes=i) for i in range(4)]
    assert all(r.stamped_by_device for r in stored)


def test_a_time_with_an_offset_is_stored_in_utc(client, outside):
    body = {"mac": mac_of(outside), "field": 1, "data": 5, "recorded_at": "2026-11-21T07:00:00+02:00"}

    assert post(client, body, key=outside.key).status_code == 201
    assert Reading.objects.get().recorded_at == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


def test_a_batch_sent_twice_is_stored_once_and_answers_the_same_ids(client, outside):
    body = {
        "mac": mac_of(outside),
        "readings": [
            {"field": 1, "data": 4.5, "recorded_at": "2026-11-21T04:00:00Z"},
            {"field": 1, "data": 4.25, "recorded_at": "2026-11-21T04:01:00Z"},
        ],
    }
    first = post(client, body, key=outside.key)
    again = post(client, body, key=outside.key)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Reading.objects.count() == 2


def test_a_retry_that_adds_new_readings_stores_only_the_new_ones(client, outside):
    older = {"field": 1, "data": 4.5, "recorded_at": "2026-11-21T04:00:00Z"}
    newer = {"field": 1, "data": 4.0, "recorded_at": "2026-11-21T04:01:00Z"}
    first_ids = post(client, {"mac": mac_of(outside), "readings": [older]}, key=outside.key).json()["ids"]

    response = post(client, {"mac": mac_of(outside), "readings": [older, newer]}, key=outside.key)

    assert response.status_code == 201
    ids = response.json()["ids"]
    assert ids[0] == first_ids[0]
    assert Reading.objects.count() == 2
    assert Reading.objects.get(id=ids[1]).value == 4.0


def test_the_same_reading_twice_in_one_batch_is_stored_once(client, outside):
    same = {"field": 1, "data": 4.5, "recorded_at": "2026-11-21T04:00:00Z"}

    response = post(client, {"mac": mac_of(outside), "readings": [same, same]}, key=outside.key)

    assert response.status_code == 201
    assert len(set(response.json()["ids"])) == 1
    assert Reading.objects.count() == 1


def test_server_stamped_readings_are_never_merged(client, outside):
    for _ in range(3):
        post(client, {"mac": mac_of(outside), "field": 1, "data": 20}, key=outside.key)

    assert Reading.objects.count() == 3


def test_a_batch_with_one_bad_reading_stores_nothing(client, outside):
    readings = [{"field": 1, "data": 20 + i, "recorded_at": f"2026-11-21T04:0{i}:00Z"} for i in range(5)]
    readings[3]["data"] = 500  # not a plausible temperature

    response = post(client, {"mac": mac_of(outside), "readings": readings}, key=outside.key)

    assert response.status_code == 400
    assert response.json()["detail"] == "readings.3: 500 is not a plausible temperature (allowed -90 to 70)"
    assert Reading.objects.count() == 0


def test_a_batch_of_1000_is_accepted_and_1001_refused(client, outside):
    base = datetime(2026, 11, 1, tzinfo=UTC)

    def batch(n):
        return [
            {"field": 1, "data": 15, "recorded_at": (base + timedelta(minutes=i)).isoformat()}
            for i in range(n)
        ]

    refused = post(client, {"mac": mac_of(outside), "readings": batch(1001)}, key=outside.key)
    assert refused.status_code == 400
    assert Reading.objects.count() == 0

    accepted = post(client, {"mac": mac_of(outside), "readings": batch(1000)}, key=outside.key)
    assert accepted.status_code == 201
    assert Reading.objects.count() == 1000


def test_other_kinds_are_checked_against_their_own_range(client, outside):
    device = outside.api_key.device
    Field.objects.create(device=device, number=2, label="Pressure", unit="hPa", kind=PRESSURE)
    Field.objects.create(device=device, number=3, label="Humidity", unit="%", kind=HUMIDITY)

    ok = post(
        client,
        {"mac": mac_of(outside), "readings": [{"field": 2, "data": 1013.2}, {"field": 3, "data": 55}]},
        key=outside.key,
    )
    bad = post(client, {"mac": mac_of(outside), "field": 3, "data": 101}, key=outside.key)

    assert ok.status_code == 201
    assert bad.status_code == 400
    assert sorted(Reading.objects.values_list("field", "value")) == [(2, 1013.2), (3, 55.0)]


@pytest.mark.parametrize(
    ("key_header", "reason"),
    [
        (None, "no API key in the request"),
        ("Api-Key not-a-key", "unknown or revoked API key"),
        ("Bearer whatever", "no API key in the request"),
        ("Api-Key ", "no API key in the request"),
    ],
)
def test_it_refuses_a_missing_or_unknown_key(client, outside, key_header, reason):
    headers = {"HTTP_AUTHORIZATION": key_header} if key_header else {}

    response = post(client, {"mac": mac_of(outside), "field": 1, "data": 21}, **headers)

    assert response.status_code == 403
    assert response.json()["detail"] == reason
    assert Reading.objects.count() == 0


def test_it_refuses_a_revoked_key(client, outside):
    key_revoke(api_key=outside.api_key)

    response = post(client, {"mac": mac_of(outside), "field": 1, "data": 21}, key=outside.key)

    assert response.status_code == 403
    assert Reading.objects.count() == 0


def test_it_refuses_a_key_with_another_devices_mac(client, outside, inside):
    response = post(client, {"mac": mac_of(inside), "field": 2, "data": 21}, key=outside.key)

    assert response.status_code == 403
    assert Reading.objects.count() == 0


def test_it_refuses_an_inactive_device(client, outside):
    device = outside.api_key.device
    device.is_active = False
    device.save()

    response = post(client, {"mac": mac_of(outside), "field": 1, "data": 21}, key=outside.key)

    assert response.status_code == 403
    assert Reading.objects.count() == 0


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"field": 1, "data": 21}, "mac"),
        ({"mac": "nonsense", "field": 1, "data": 21}, "mac"),
        ({"mac": "MAC", "field": 9, "data": 21}, "field"),
        ({"mac": "MAC", "field": 0, "data": 21}, "field"),
        ({"mac": "MAC", "field": "one", "data": 21}, "field"),
        ({"mac": "MAC", "field": 1, "data": "warm"}, "data"),
        ({"mac": "MAC", "field": 1, "data": True}, "data"),
        ({"mac": "MAC", "field": 1, "data": None}, "data"),
        ({"mac": "MAC", "field": 1, "data": [21]}, "data"),
        ({"mac": "MAC", "field": 1, "data": "1e309"}, "data"),
        ({"mac": "MAC", "field": 1}, "both field and data"),
        ({"mac": "MAC", "readings": []}, "readings"),
        ({"mac": "MAC", "readings": "lots"}, "readings"),
        ({"mac": "MAC", "field": 1, "data": 21, "readings": [{"field": 1, "data": 2}]}, "either"),
        ({"mac": "MAC", "readings": [{"field": 1, "data": 2}, {"field": 1}]}, "readings.1.data"),
        ({"mac": "MAC", "field": 1, "data": 21, "recorded_at": "yesterday"}, "recorded_at"),
        ({"mac": "MAC", "field": 1, "data": 21, "recorded_at": "0001-01-01T00:00:00Z"}, "recorded_at"),
        ({"mac": "MAC", "field": 1, "data": 21, "recorded_at": "9999-12-31T23:59:59Z"}, "future"),
        ({"mac": "MAC", "field": 1, "data": 21, "recorded_at": "2000-01-01T00:00:05Z"}, "clock"),
        ({"mac": "MAC", "field": 1, "data": 21, "recorded_at": 5}, "clock"),
        ({"mac": "MAC", "field": 1, "data": 21, "recorded_at": 1e300}, "recorded_at"),
        ({"mac": "MAC", "field": 4, "data": 21}, "not set up"),
    ],
)
def test_it_refuses_malformed_readings_with_a_reason(client, outside, body, reason):
    body = {k: (mac_of(outside) if v == "MAC" else v) for k, v in body.items()}

    response = post(client, body, key=outside.key)

    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert reason in detail
    assert "\n" not in detail
    assert Reading.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2, 3]",
        '"a string"',
        '{"mac": "6c:ef:7a:3b:9d:e8", "field": 1, "data": NaN}',
        '{"mac": "6c:ef:7a:3b:9d:e8", "field": 1, "data": Infinity}',
        "[" * 100_000 + "]" * 100_000,
        b"\xff\xfe\x00garbage",
    ],
)
def test_it_refuses_a_malformed_body(client, outside, raw):
    response = post(client, raw, key=outside.key)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert Reading.objects.count() == 0


def test_it_refuses_a_body_that_is_not_json(client, outside):
    response = client.post(URL, {"mac": mac_of(outside)}, HTTP_AUTHORIZATION=f"Api-Key {outside.key}")

    assert response.status_code == 415
    assert Reading.objects.count() == 0


def test_it_refuses_get(client, outside):
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {outside.key}").status_code == 405
