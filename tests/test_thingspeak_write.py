"""ThingSpeak's write API: /update, /update.json and bulk_update.json, where a channel is a device."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from devices.models import PRESSURE, READ, Field
from devices.services import key_issue, key_revoke
from readings.models import Reading


@pytest.fixture
def porch(outside):
    """The outside station with a pressure field too, as a BMP280 board posts."""
    Field.objects.create(device=outside.api_key.device, number=2, label="Pressure", unit="hPa", kind=PRESSURE)
    return outside


def rows(device):
    return list(Reading.objects.filter(device=device).order_by("field").values_list("field", "value"))


@pytest.mark.parametrize("method", ["get", "post"])
def test_update_stores_each_field_and_answers_the_entry_id(client, porch, method):
    device = porch.api_key.device
    answer = getattr(client, method)("/update", {"api_key": porch.key, "field1": "21.5", "field2": "1013.25"})

    assert answer.status_code == 200
    ids = sorted(Reading.objects.values_list("id", flat=True))
    assert answer.content.decode() == str(ids[0])
    assert rows(device) == [(1, 21.5), (2, 1013.25)]
    device.refresh_from_db()
    assert device.last_seen is not None


def test_update_takes_the_key_from_the_thingspeakapikey_header(client, outside):
    answer = client.post("/update", {"field1": "3.5"}, HTTP_THINGSPEAKAPIKEY=outside.key)

    assert answer.status_code == 200
    assert rows(outside.api_key.device) == [(1, 3.5)]


def test_update_json_answers_the_entry_with_unset_fields_null(client, porch):
    answer = client.get(
        "/update.json",
        {"api_key": porch.key, "field1": "-2.25", "created_at": "2026-11-20 10:00:00", "status": "ok"},
    )

    assert answer.status_code == 200
    entry = answer.json()
    reading = Reading.objects.get()
    assert entry["channel_id"] == porch.api_key.device.pk
    assert entry["entry_id"] == reading.id
    assert entry["created_at"] == "2026-11-20T10:00:00Z"
    assert entry["field1"] == "-2.25"
    assert entry["field2"] is None and entry["field8"] is None
    assert reading.recorded_at == datetime(2026, 11, 20, 10, tzinfo=UTC) and reading.stamped_by_device


def test_update_json_accepts_a_json_body(client, outside):
    answer = client.post(
        "/update.json", json.dumps({"api_key": outside.key, "field1": 4.5}), content_type="application/json"
    )

    assert answer.status_code == 200
    assert answer.json()["field1"] == "4.5"


def test_created_at_is_read_in_the_timezone_given(client, outside):
    client.get(
        "/update",
        {
            "api_key": outside.key,
            "field1": "20",
            "created_at": "2026-07-01 12:00:00",
            "timezone": "America/Los_Angeles",
        },
    )

    assert Reading.objects.get().recorded_at == datetime(2026, 7, 1, 19, tzinfo=UTC)


def test_resending_a_stamped_update_stores_it_once(client, outside):
    params = {"api_key": outside.key, "field1": "20", "created_at": "2026-11-20T10:00:00Z"}
    first = client.get("/update", params).content
    again = client.get("/update", params).content

    assert first == again
    assert Reading.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"field1": "20"}, 403, "no API key in the request"),
        ({"api_key": "nope-nope-nope", "field1": "20"}, 403, "unknown or revoked API key"),
        ({"field1": "warm"}, 400, "field1 must be a number"),
        ({}, 400, "no field1..field8 in the update"),
        ({"field3": "20"}, 400, "field 3 is not set up for this device; add it in the admin"),
        ({"field1": "500"}, 400, "500 is not a plausible temperature (allowed -90 to 70)"),
        ({"field1": "20", "created_at": "yesterday"}, 400, "created_at must be ISO 8601"),
        ({"field1": "20", "created_at": "2026-01-01", "timezone": "Mars/Olympus"}, 400, "timezone must be"),
    ],
)
def test_a_bad_update_answers_0_with_a_4xx_and_a_reason_and_stores_nothing(
    client, outside, params, status, reason
):
    if "api_key" not in params and params != {"field1": "20"}:
        params = {"api_key": outside.key, **params}
    answer = client.get("/update", params)

    assert answer.status_code == status
    assert answer.content == b"0"
    assert answer["X-Refusal-Reason"].startswith(reason)
    assert Reading.objects.count() == 0

    json_answer = client.get("/update.json", params)
    assert json_answer.status_code == status
    assert json_answer.json()["detail"].startswith(reason)


def test_a_read_key_cannot_write(client, outside):
    read = key_issue(device=outside.api_key.device, scope=READ)

    answer = client.get("/update", {"api_key": read.key, "field1": "20"})

    assert (answer.status_code, answer.content) == (403, b"0")
    assert Reading.objects.count() == 0


def test_a_revoked_key_cannot_write(client, outside):
    key_revoke(api_key=outside.api_key)

    assert client.get("/update", {"api_key": outside.key, "field1": "20"}).status_code == 403


def test_update_refuses_other_methods(client, outside):
    assert client.put("/update", {"api_key": outside.key, "field1": "20"}).status_code == 405


def test_the_station_url_still_works_beside_update(client, outside):
    device = outside.api_key.device
    answer = client.get(f"/update/API_key={outside.key}/mac={device.mac}/field=1/data=21.5")

    assert answer.status_code == 200
    assert rows(device) == [(1, 21.5)]


def bulk(client, channel, body):
    return client.post(
        f"/channels/{channel}/bulk_update.json", json.dumps(body), content_type="application/json"
    )


def test_bulk_update_stores_every_update_at_its_time(client, porch):
    device = porch.api_key.device
    answer = bulk(
        client,
        device.pk,
        {
            "write_api_key": porch.key,
            "updates": [
                {"created_at": "2026-11-20T10:00:00Z", "field1": 10.5, "field2": "1000"},
                {"created_at": "2026-11-20T10:01:00+01:00", "field1": "11"},
            ],
        },
    )

    assert (answer.status_code, answer.json()) == (202, {"success": True})
    stored = list(
        Reading.objects.order_by("recorded_at", "field").values_list("recorded_at", "field", "value")
    )
    assert stored == [
        (datetime(2026, 11, 20, 9, 1, tzinfo=UTC), 1, 11.0),
        (datetime(2026, 11, 20, 10, tzinfo=UTC), 1, 10.5),
        (datetime(2026, 11, 20, 10, tzinfo=UTC), 2, 1000.0),
    ]


def test_bulk_update_delta_t_counts_back_from_the_last_update(client, outside):
    answer = bulk(
        client,
        outside.api_key.device.pk,
        {
            "write_api_key": outside.key,
            "updates": [{"delta_t": 0, "field1": 1}, {"delta_t": 60, "field1": 2}],
        },
    )

    assert answer.status_code == 202
    first, second = Reading.objects.order_by("recorded_at")
    assert (first.value, second.value) == (1.0, 2.0)
    assert (second.recorded_at - first.recorded_at).total_seconds() == 60


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"updates": [{"delta_t": 0, "field1": 1}]}, 403, "no API key in the request"),
        ({"updates": []}, 400, "the body must be"),
        ({"updates": [{"field1": 1}]}, 400, "updates.0 needs created_at or delta_t"),
        ({"updates": [{"delta_t": "x", "field1": 1}]}, 400, "updates.0.delta_t must be"),
        (
            {"updates": [{"delta_t": 0, "field1": 1}, {"delta_t": 1, "field1": "hot"}]},
            400,
            "updates.1: field1",
        ),
    ],
)
def test_a_bad_bulk_update_is_refused_whole(client, outside, body, status, reason):
    if body != {"updates": [{"delta_t": 0, "field1": 1}]}:
        body = {"write_api_key": outside.key, **body}
    answer = bulk(client, outside.api_key.device.pk, body)

    assert answer.status_code == status
    assert answer.json()["detail"].startswith(reason)
    assert Reading.objects.count() == 0


def test_bulk_update_refuses_a_key_for_another_channel(client, outside, inside):
    answer = bulk(
        client,
        inside.api_key.device.pk,
        {"write_api_key": outside.key, "updates": [{"delta_t": 0, "field1": 1}]},
    )

    assert answer.status_code == 403
    assert Reading.objects.count() == 0


def test_bulk_update_refuses_a_body_that_is_not_json(client, outside):
    answer = client.post(
        f"/channels/{outside.api_key.device.pk}/bulk_update.json", "{oops", content_type="application/json"
    )

    assert answer.status_code == 400
    assert answer.json()["detail"] == "the body is not valid JSON"


@pytest.mark.parametrize(
    "body",
    [
        {"field1": [1]},
        {"field1": "20", "created_at": "2026-01-01 00:00:00", "timezone": 5},
        {"field1": True},
    ],
)
def test_odd_json_bodies_are_refused_with_400_not_a_crash(client, outside, body):
    answer = client.post(
        "/update.json", json.dumps({"api_key": outside.key, **body}), content_type="application/json"
    )

    assert answer.status_code == 400
    assert Reading.objects.count() == 0


def test_a_bulk_value_too_large_for_a_float_is_refused_not_a_500(client, db):
    """A 400-digit integer is valid JSON; float() of it overflows."""
    from devices.models import OUTSIDE
    from devices.services import device_register
    from readings.models import Reading

    issued = device_register(name="Huge", mac="02:00:00:00:00:77", placement=OUTSIDE)
    huge = "1" + "0" * 400
    body = f'{{"write_api_key": "{issued.key}", "updates": [{{"delta_t": 0, "field1": {huge}}}]}}'

    response = client.post(
        f"/channels/{issued.api_key.device_id}/bulk_update.json", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert Reading.objects.count() == 0
