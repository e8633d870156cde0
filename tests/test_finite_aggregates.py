"""Aggregates stay finite: every field kind has finite bounds, and no mean a reader asks for overflows.

Two accepted readings of 1.5e308 on a field of kind "other" once made every history answer a
500 for as long as they were in range (their sum is infinite, and JSON cannot carry it).
"""

from __future__ import annotations

import json
import math
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils.timezone import now

from devices.models import KINDS, OTHER, READ, Field
from devices.services import key_issue
from readings.models import Reading
from readings.rollups import rollups_rebuild
from readings.rules import PLAUSIBLE_RANGES, NewReading
from readings.services import MAX_BATCH, record_readings

HUGE = ["1.5e308", "1e308", "-1.5e308", "1.7976931348623157e308", "1e13", "-1e13", "1e300", "9" * 30]


@pytest.fixture
def lux(outside) -> Field:
    """A field of kind "other" on the porch station: what a light sensor posts."""
    return Field.objects.create(device=outside.api_key.device, number=3, label="Light", unit="lx", kind=OTHER)


def test_every_kind_has_finite_bounds_whose_sums_stay_finite():
    assert {kind for kind, _ in KINDS} <= set(PLAUSIBLE_RANGES)
    for low, high in PLAUSIBLE_RANGES.values():
        assert math.isfinite(low) and math.isfinite(high)
        # A trillion readings at the bound, summed: still a finite float with room to spare.
        assert max(abs(low), abs(high)) * 1e12 * 1e12 < sys.float_info.max


def writes(issued, value: str) -> list:
    channel = issued.api_key.device.pk
    mac = issued.api_key.device.mac
    return [
        ("get", f"/update/API_key={issued.key}/mac={mac}/field=3/data={value}", None),
        ("post", "/api/readings/", {"mac": mac, "field": 3, "data": value}),
        ("post", "/api/readings/", {"mac": mac, "readings": [{"field": 3, "data": float(value)}] * 2}),
        ("get", f"/update?api_key={issued.key}&field3={value}", None),
        ("post", "/update.json", {"api_key": issued.key, "field3": value}),
        (
            "post",
            f"/channels/{channel}/bulk_update.json",
            {"write_api_key": issued.key, "updates": [{"delta_t": 1, "field3": value}] * 2},
        ),
    ]


@pytest.mark.fuzz
@pytest.mark.parametrize("value", HUGE)
def test_values_past_the_bound_of_other_are_refused_on_every_write(client, outside, lux, value):
    for method, path, body in writes(outside, value):
        if method == "get":
            response = client.get(path)
        else:
            response = client.post(
                path,
                json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Api-Key {outside.key}",
            )
        assert response.status_code == 400, (path, response.status_code, response.content[:200])
        assert "plausible other" in (response.get("X-Refusal-Reason") or response.content.decode())
    assert Reading.objects.count() == 0


def history_answers(client, device_id: int, key: str) -> list:
    """Every surface that sums readings: the dashboard's ranges, device history, ThingSpeak's reductions."""
    answers = [client.get(f"/api/history/?range={name}") for name in ("24h", "7d", "30d", "1y")]
    answers += [
        client.get(f"/api/devices/{device_id}/history/", {"start": (now() - timedelta(days=d)).isoformat()})
        for d in (1, 30, 365)
    ]
    answers += [
        client.get(f"/channels/{device_id}/fields/3.json", {"api_key": key, "sum": "60"}),
        client.get(f"/channels/{device_id}/feeds.json", {"api_key": key, "sum": "daily"}),
    ]
    return answers


def not_json(name: str) -> float:
    raise AssertionError(f"{name} is not JSON: an aggregate overflowed")


def assert_all_finite(answers) -> None:
    for response in answers:
        assert response.status_code == 200, (response.status_code, response.content[:200])
        json.loads(response.content, parse_constant=not_json)


def test_a_full_bucket_of_readings_at_the_bounds_sums_to_finite_answers(client, outside, lux):
    device = outside.api_key.device
    at = now() - timedelta(minutes=10)
    for sign in (1, -1, 1):
        value = PLAUSIBLE_RANGES[OTHER][1 if sign > 0 else 0]
        record_readings(
            device=device,
            readings=[
                NewReading(field=3, value=value, recorded_at=at + timedelta(microseconds=i))
                for i in range(MAX_BATCH)
            ],
        )
    client.force_login(User.objects.create_user("sam", password="x"))

    assert_all_finite(history_answers(client, device.pk, key_issue(device=device, scope=READ).key))


def test_readings_stored_before_the_bound_do_not_break_history(client, outside, lux):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses to sum past a float (an error, not inf); only the bound holds there")
    device = outside.api_key.device
    at = now() - timedelta(minutes=10)
    Reading.objects.bulk_create(
        Reading(device=device, field=3, value=1.5e308, recorded_at=at + timedelta(seconds=i))
        for i in range(2)
    )
    rollups_rebuild()
    client.force_login(User.objects.create_user("sam", password="x"))

    answers = history_answers(client, device.pk, key_issue(device=device, scope=READ).key)

    assert_all_finite(answers[:7])  # the dashboard and device history: ThingSpeak's reads are not ours
    points = answers[0].json()["series"]
    assert any(point[2] == 1.5e308 for series in points for point in series["points"])
