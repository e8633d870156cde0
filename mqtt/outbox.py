"""Readings out: whatever way they arrived, stored readings are published to ThingSpeak's subscribe
topics and to Home Assistant's states, from the database, by the subscriber's process.

Never in a request and never inside a write: the outbox reads readings after they are committed
(by id, from where it last looked), so a slow or absent broker cannot slow or fail an ingest.
What it publishes is live state, best effort (QoS 0): readings stored while it is not running
are not replayed, but on start every field's latest value is published again, retained.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Max
from django.utils.timezone import now
from paho.mqtt.client import Client

from devices.models import FIELD_NUMBERS
from mqtt.discovery import advice_discovery, field_discovery
from mqtt.topics import (
    WINDOW_ADVICE,
    WINDOW_ADVICE_ATTRIBUTES,
    channel_subscribe,
    channel_subscribe_field,
    station_state,
)
from readings.advice import window_advice_now
from readings.models import Reading
from readings.selectors import fields_with_latest

logger = logging.getLogger(__name__)

BATCH = 2000
# On PostgreSQL a reading's id is taken before its transaction commits, so a lower id can become
# visible after a higher one: each look reaches this many ids back for any that appeared late.
# SQLite commits one writer at a time, in id order.
LOOKBACK = {"postgresql": 500}
REANNOUNCE_SECONDS = 600  # renamed stations and changed units reach Home Assistant within this
# The advice changes with readings and with time (a station going quiet): asked again after new
# readings, at most this often, and at least every minute.
ADVICE_SECONDS = (5, 60)


def _value(value: float) -> str:
    return repr(value)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Outbox:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.after_id: int | None = None
        self.lookback = LOOKBACK.get(connection.vendor, 0)
        self.recent: set[int] = set()  # ids published within the lookback
        self.announced: set[tuple[int, int]] = set()
        self.announced_at = 0.0
        self.shown: dict[tuple[int, int], datetime] = {}  # each state's reading time, newest wins
        self.advice: tuple | None = None
        self.advised_at = -1e9

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=0, retain=retain)

    def announce(self) -> None:
        """Discovery for every active station's fields and the advice; their latest values, retained."""
        for field in fields_with_latest():
            topic, config = field_discovery(field)
            self.publish(topic, json.dumps(config), retain=True)
            self.announced.add((field.device_id, field.number))
            if field.latest_value is not None:
                self._show(field.device_id, field.number, field.latest_value, field.latest_at)
        topic, config = advice_discovery()
        self.publish(topic, json.dumps(config), retain=True)
        self.advice = None
        self.announced_at = time.monotonic()

    def _show(self, device_id: int, number: int, value: float, at: datetime) -> None:
        key = (device_id, number)
        if key in self.shown and self.shown[key] > at:
            return  # a backfilled older reading is history, not the state now
        self.shown[key] = at
        self.publish(station_state(device_id, number), _value(value), retain=True)

    def tick(self) -> int:
        """Publish what was stored since the last tick; how many readings that was."""
        if self.after_id is None:
            self.after_id = Reading.objects.aggregate(last=Max("id"))["last"] or 0
            if self.lookback:  # what is there already counts as published
                window = Reading.objects.filter(id__gt=self.after_id - self.lookback)
                self.recent = set(window.values_list("id", flat=True))
            self.announce()
        seen = list(
            Reading.objects.filter(id__gt=self.after_id - self.lookback)
            .order_by("id")
            .values_list("id", "device_id", "field", "value", "recorded_at")[: BATCH + self.lookback]
        )
        rows = [
            row for row in seen if row[0] > self.after_id or (self.lookback and row[0] not in self.recent)
        ]
        if seen:
            self.after_id = max(self.after_id, seen[-1][0])
        if self.lookback:
            self.recent = {id_ for id_ in self.recent if id_ > self.after_id - self.lookback}
            self.recent.update(row[0] for row in rows)
        if rows:
            if any((device_id, field) not in self.announced for _, device_id, field, _, _ in rows):
                self.announce()
            self._channels(rows)
            for _, device_id, field, value, recorded_at in rows:
                self._show(device_id, field, value, recorded_at)
        elif time.monotonic() - self.announced_at > REANNOUNCE_SECONDS:
            self.announce()
        since = time.monotonic() - self.advised_at
        if since > ADVICE_SECONDS[1] or (rows and since > ADVICE_SECONDS[0]):
            self._advise()
        return len(rows)

    def _channels(self, rows: list[tuple]) -> None:
        """ThingSpeak's subscribe topics: one entry per update (a device's readings at one moment)."""
        entries: dict[tuple[int, datetime], dict[int, tuple[int, float]]] = defaultdict(dict)
        for id_, device_id, field, value, recorded_at in rows:
            entries[(device_id, recorded_at)][field] = (id_, value)
        for (device_id, recorded_at), values in entries.items():
            entry = {
                "channel_id": device_id,
                "created_at": _time(recorded_at),
                "entry_id": min(id_ for id_, _ in values.values()),
            }
            for number in FIELD_NUMBERS:
                entry[f"field{number}"] = _value(values[number][1]) if number in values else None
            entry.update({"latitude": None, "longitude": None, "elevation": None, "status": None})
            self.publish(channel_subscribe(device_id), json.dumps(entry))
            for number, (_, value) in values.items():
                self.publish(channel_subscribe_field(device_id, number), _value(value))

    def _advise(self) -> None:
        self.advised_at = time.monotonic()
        advice = window_advice_now(at=now())
        shown = (advice.state, advice.as_text())
        if shown == self.advice:
            return
        self.advice = shown
        self.publish(WINDOW_ADVICE, advice.state, retain=True)
        attributes = {"text": advice.as_text(), "difference": advice.difference}
        self.publish(WINDOW_ADVICE_ATTRIBUTES, json.dumps(attributes), retain=True)
