"""MQTT messages into ingest(), without a broker: each topic's parsing, the same rules and refusals
as HTTP, and the rule that tells a redelivered message from a new one."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from devices.services import key_revoke
from mqtt.accounts import account_replace
from mqtt.incoming import KEEP_DELIVERIES, Message, receive
from mqtt.models import Account, Delivery, Refusal
from readings.models import EntryNote, Reading
from tests.live import free_port

SESSION = "iotserver-ingest"


@pytest.fixture
def porch(outside):
    device = outside.api_key.device
    account_replace(device=device)
    return device


def take(topic: str, payload: str | bytes, *, packet_id: int = 0, dup: bool = False):
    body = payload.encode() if isinstance(payload, str) else payload
    return receive(session=SESSION, message=Message(topic, body, packet_id=packet_id, dup=dup))


def stored(device) -> list[tuple]:
    return list(Reading.objects.filter(device=device).order_by("id").values_list("field", "value"))


def test_thingspeaks_update_form_stores_each_field_at_its_created_at(porch):
    outcome = take(f"channels/{porch.pk}/publish", "field1=21.5&created_at=2026-11-20%2010:00:00&status=ok")

    assert outcome.stored and outcome.refusal is None
    reading = Reading.objects.get(device=porch)
    assert (reading.value, reading.stamped_by_device) == (21.5, True)
    assert reading.recorded_at.isoformat() == "2026-11-20T10:00:00+00:00"


def test_an_updates_status_and_location_are_stored_with_its_entry_as_over_http(porch):
    take(f"channels/{porch.pk}/publish", "field1=21.5&status=door%20open&lat=52.5&long=13.4")

    reading = Reading.objects.get(device=porch)
    note = EntryNote.objects.get(device=porch)
    assert (note.status, note.latitude, note.longitude) == ("door open", 52.5, 13.4)
    assert (note.recorded_at, note.first_reading_id) == (reading.recorded_at, reading.pk)


def test_a_single_field_topic_takes_a_bare_value(porch):
    take(f"channels/{porch.pk}/publish/fields/field1", " 22.25\n")

    assert stored(porch) == [(1, 22.25)]


def test_the_json_form_takes_a_batch_and_its_mac_from_the_topic(porch):
    body = {
        "readings": [{"field": 1, "data": 20.0, "recorded_at": f"2026-11-20T10:0{n}:00Z"} for n in range(3)]
    }

    take(f"weather/{porch.mac.upper()}/readings", json.dumps(body))

    assert stored(porch) == [(1, 20.0)] * 3


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("channels/{id}/publish", "field1=99", "99 is not a plausible temperature (allowed -90 to 70)"),
        (
            "channels/{id}/publish/fields/field1",
            "99",
            "99 is not a plausible temperature (allowed -90 to 70)",
        ),
        (
            "weather/{mac}/readings",
            '{"field": 1, "data": 99}',
            "99 is not a plausible temperature (allowed -90 to 70)",
        ),
        ("channels/{id}/publish", "field1=abc", "field1 must be a number (text goes in status)"),
        ("channels/{id}/publish", "status=hello", "no field1..field8 in the update"),
        ("channels/{id}/publish", "field2=20", "field 2 is not set up for this device; add it in the admin"),
        ("channels/{id}/publish/fields/field9", "20", "field9 is not one of field1..field8"),
        ("weather/{mac}/readings", "not json", "the body is not valid JSON"),
        ("weather/{mac}/readings", '{"field": 1}', "a single reading needs both field and data"),
        (
            "weather/{mac}/readings",
            '{"mac": "00:00:00:00:00:01", "field": 1, "data": 2}',
            "this API key does not belong to that MAC address",
        ),
        (
            "channels/{id}/publish",
            "field1=20&created_at=2099-01-01T00:00:00Z",
            "recorded_at is in the future; is the board's clock set?",
        ),
        ("channels/{id}/publish", b"field1=\xff", "the payload is not UTF-8 text"),
    ],
)
def test_a_refused_message_stores_nothing_and_is_counted_with_its_reason(porch, topic, payload, reason):
    topic = topic.format(id=porch.pk, mac=porch.mac)

    first = take(topic, payload)
    take(topic, payload)

    assert first.refusal is not None and first.refusal.reason == reason
    assert stored(porch) == []
    refusal = Refusal.objects.get()
    assert (refusal.topic, refusal.reason, refusal.count, refusal.device) == (topic, reason, 2, porch)


def test_the_same_reading_is_refused_with_the_same_reason_over_http(client, porch, outside):
    answer = client.get("/update", {"api_key": outside.key, "field1": "99"})

    take(f"channels/{porch.pk}/publish", "field1=99")

    assert answer["X-Refusal-Reason"] == Refusal.objects.get().reason


def test_a_device_without_a_login_inactive_or_revoked_is_refused(porch, inside):
    other = inside.api_key.device
    assert take(f"channels/{other.pk}/publish", "field2=20").refusal.status == 403

    porch.is_active = False
    porch.save()
    assert (
        take(f"channels/{porch.pk}/publish", "field1=20").refusal.reason == "device 'Back porch' is inactive"
    )
    porch.is_active = True
    porch.save()
    key_revoke(api_key=Account.objects.get(device=porch).api_key)
    assert take(f"channels/{porch.pk}/publish", "field1=20").refusal.reason == "unknown or revoked API key"
    assert stored(porch) == stored(other) == []


def test_a_login_issued_again_takes_over_from_the_remembered_key(porch):
    take(f"channels/{porch.pk}/publish", "field1=1")
    account_replace(device=porch)

    assert take(f"channels/{porch.pk}/publish", "field1=2").stored
    assert stored(porch) == [(1, 1.0), (1, 2.0)]


def test_an_unknown_channel_or_topic_is_refused(db):
    assert take("channels/999/publish", "field1=1").refusal.reason == "no channel 999"
    assert (
        take("weather/00:00:00:00:00:09/readings", "{}").refusal.reason
        == "no device with MAC 00:00:00:00:00:09"
    )


def test_a_redelivered_message_already_committed_is_not_stored_again(porch):
    # No created_at: stamped on arrival, so its time cannot tell a redelivery from a new message.
    topic, payload = f"channels/{porch.pk}/publish", "field1=21.5"
    take(topic, payload, packet_id=7)

    again = take(topic, payload, packet_id=7, dup=True)

    assert again.redelivered
    assert stored(porch) == [(1, 21.5)]


def test_a_new_message_reusing_a_packet_id_is_stored(porch):
    topic, payload = f"channels/{porch.pk}/publish", "field1=21.5"
    take(topic, payload, packet_id=7)

    take(topic, payload, packet_id=7)  # not DUP: the broker reused the id after the acknowledgement

    assert stored(porch) == [(1, 21.5), (1, 21.5)]


def test_a_redelivered_message_never_committed_is_stored(porch):
    topic = f"channels/{porch.pk}/publish"
    take(topic, "field1=21.5", packet_id=7)

    take(topic, "field1=22.5", packet_id=8, dup=True)  # sent before a crash, never stored
    take(topic, "field1=23.5", packet_id=7, dup=True)  # same id, other content: another message

    assert stored(porch) == [(1, 21.5), (1, 22.5), (1, 23.5)]


def test_a_redelivered_refusal_is_counted_once(porch):
    topic = f"channels/{porch.pk}/publish"
    take(topic, "field1=99", packet_id=3)
    take(topic, "field1=99", packet_id=3, dup=True)

    assert Refusal.objects.get().count == 1


def test_only_the_latest_deliveries_are_kept(porch):
    for packet_id in range(1, KEEP_DELIVERIES + 301):
        take(f"channels/{porch.pk}/publish/fields/field1", "1", packet_id=packet_id % 65535 + 1)

    assert KEEP_DELIVERIES <= Delivery.objects.count() < KEEP_DELIVERIES + 100


def test_mqtt_ingest_does_nothing_without_mqtt_url(settings):
    settings.MQTT_URL = ""

    assert call_command("mqtt_ingest") == "MQTT_URL is not set: MQTT is off."


def test_mqtt_credentials_says_what_is_missing_without_mqtt_url(settings, porch):
    settings.MQTT_URL = ""

    with pytest.raises(CommandError, match="MQTT_URL is not set"):
        call_command("mqtt_credentials", "--device", porch.name)


def test_the_devices_rate_limit_counts_mqtt_messages_as_it_counts_requests(client, porch, outside, settings):
    settings.DEVICE_RATE_LIMIT = "3/min"
    client.get("/update", {"api_key": outside.key, "field1": "1"})

    outcomes = [take(f"channels/{porch.pk}/publish", f"field1={n}") for n in (2, 3, 4)]

    assert [o.refusal.status if o.refusal else 200 for o in outcomes] == [200, 200, 429]
    assert [value for _, value in stored(porch)] == [1.0, 2.0, 3.0]
    assert Refusal.objects.get().reason == "device 'Back porch': more than 3 requests a minute"


def test_mqtt_credentials_says_when_the_broker_cannot_be_reached(settings, porch):
    settings.MQTT_URL = f"mqtt://iotserver:secret@127.0.0.1:{free_port()}"

    with pytest.raises(CommandError, match="cannot reach the broker"):
        call_command("mqtt_credentials", "--device", porch.name)


def test_an_update_sent_again_is_one_entry_and_another_at_its_moment_is_refused_as_over_http(
    client, porch, outside
):
    take(f"channels/{porch.pk}/publish", "field1=20&created_at=2026-11-20T10:00:00Z")

    again = take(f"channels/{porch.pk}/publish", "field1=20&created_at=2026-11-20T10:00:00Z")
    other = take(f"channels/{porch.pk}/publish", "field1=21&created_at=2026-11-20T10:00:00Z")
    answer = client.get(
        "/update", {"api_key": outside.key, "field1": "21", "created_at": "2026-11-20T10:00:00Z"}
    )

    assert again.stored and again.refusal is None  # the board's own retry: the same entry
    assert other.refusal.status == answer.status_code == 409
    assert other.refusal.reason == answer["X-Refusal-Reason"]
    assert stored(porch) == [(1, 20.0)]
