"""A write key writes only for its own device, on every write endpoint; nothing is stored otherwise."""

from __future__ import annotations

import json

from readings.models import Reading


def test_the_json_form_refuses_a_key_with_another_devices_mac(client, outside, inside):
    body = {"mac": inside.api_key.device.mac, "readings": [{"field": 2, "data": 20.5}]}
    response = client.post(
        "/api/readings/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {outside.key}",
    )

    assert response.status_code == 403
    assert not Reading.objects.exists()


def test_a_bulk_update_refuses_a_key_for_another_channel(client, outside, inside):
    body = {"write_api_key": outside.key, "updates": [{"delta_t": 0, "field2": 20.5}]}
    channel = inside.api_key.device.pk

    response = client.post(
        f"/channels/{channel}/bulk_update.json", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 403
    assert not Reading.objects.exists()


def test_a_thingspeak_update_lands_on_the_keys_own_device_only(client, outside, inside):
    response = client.get("/update", {"api_key": outside.key, "field1": "20.5"})

    assert response.status_code == 200
    assert list(Reading.objects.values_list("device__name", flat=True)) == ["Back porch"]
    # A field only the other device has is refused, not written there.
    assert client.get("/update", {"api_key": outside.key, "field2": "20.5"}).status_code == 400
    assert Reading.objects.count() == 1
