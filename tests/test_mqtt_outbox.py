"""The outbox: readings stored by any path go out to ThingSpeak's subscribe topics and Home
Assistant's states, from the database, after the commit; nothing is published twice or left behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.timezone import now

from mqtt.outbox import Outbox
from readings.models import Reading
from tests.conftest import station_url


class Recorder:
    """Stands in for the paho client: what would have been published."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bool]] = []

    def publish(self, topic, payload, qos=0, retain=False):
        self.sent.append((topic, payload, retain))

    def on(self, topic: str) -> list[str]:
        return [payload for t, payload, _ in self.sent if t == topic]


@pytest.fixture
def outbox(db):
    recorder = Recorder()
    box = Outbox(recorder)
    box.tick()  # starts after what is stored already
    recorder.sent.clear()
    return box, recorder


def test_a_reading_stored_over_http_goes_to_thingspeak_subscribers_and_home_assistant(
    client, outside, outbox
):
    box, sent = outbox
    device = outside.api_key.device
    client.get(station_url(outside, data="19.5"))

    assert box.tick() == 1

    reading = Reading.objects.get()
    (entry,) = [json.loads(p) for p in sent.on(f"channels/{device.pk}/subscribe")]
    assert entry["channel_id"] == device.pk and entry["entry_id"] == reading.pk
    assert entry["field1"] == "19.5" and entry["field2"] is None and entry["status"] is None
    assert sent.on(f"channels/{device.pk}/subscribe/fields/field1") == ["19.5"]
    assert sent.on(f"iotserver/stations/{device.pk}/field1") == ["19.5"]
    assert box.tick() == 0  # nothing twice


def test_a_backfilled_older_reading_is_not_shown_as_the_state_now(client, outside, outbox):
    box, sent = outbox
    device = outside.api_key.device
    client.get(station_url(outside, data="19.5"))
    box.tick()
    earlier = (now() - timedelta(hours=2)).isoformat()
    client.post(
        "/api/readings/",
        {"mac": device.mac, "field": 1, "data": 3.0, "recorded_at": earlier},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {outside.key}",
    )

    box.tick()

    assert sent.on(f"iotserver/stations/{device.pk}/field1") == ["19.5"]
    assert sent.on(f"channels/{device.pk}/subscribe/fields/field1") == ["19.5", "3.0"]


def test_a_reading_whose_id_became_visible_late_is_still_published(outside, outbox):
    # PostgreSQL: an id taken by a transaction that commits after a higher one.
    box, sent = outbox
    box.lookback = 500
    device = outside.api_key.device
    Reading.objects.create(
        id=1000, device=device, field=1, value=1.0, recorded_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    box.tick()
    Reading.objects.create(
        id=990, device=device, field=1, value=2.0, recorded_at=datetime(2026, 11, 1, tzinfo=UTC)
    )

    box.tick()
    box.tick()

    assert sent.on(f"channels/{device.pk}/subscribe/fields/field1") == ["1.0", "2.0"]


def test_the_window_advice_is_published_when_it_changes(client, outside, inside, outbox):
    box, sent = outbox
    client.get(station_url(outside, data="15.0"))
    client.get(station_url(inside, field=2, data="25.0"))
    box.advised_at = -1e9

    box.tick()
    box.advised_at = -1e9
    box.tick()

    assert sent.on("iotserver/window_advice") == ["open"]  # once: the second look found no change
    assert "cooler" in json.loads(sent.on("iotserver/window_advice/attributes")[-1])["text"]
