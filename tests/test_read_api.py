"""The read API: devices with fields and latest readings, readings by cursor, the schema and its docs."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices.models import READ
from devices.services import key_issue
from readings.rules import NewReading
from readings.services import record_readings
from tests.live import THROWAWAY_SECRET_KEY

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def history(outside, inside):
    porch, room = outside.api_key.device, inside.api_key.device
    record_readings(
        device=porch, readings=[NewReading(1, 10.0 + i, T0 + timedelta(minutes=i)) for i in range(7)]
    )
    record_readings(device=room, readings=[NewReading(2, 21.0, T0)])
    return porch, room


def test_devices_lists_fields_with_their_latest_reading(admin_client, history):
    answer = admin_client.get("/api/devices/")

    assert answer.status_code == 200
    by_name = {device["name"]: device for device in answer.json()}
    assert set(by_name) == {"Back porch", "Living room"}
    [porch_field] = by_name["Back porch"]["fields"]
    assert porch_field["number"] == 1 and porch_field["label"] == "Temperature"
    assert porch_field["latest"] == {"value": 16.0, "recorded_at": "2026-11-20T10:06:00Z"}


def test_a_read_key_sees_only_its_device(client, history):
    porch, _ = history
    key = key_issue(device=porch, scope=READ).key

    answer = client.get("/api/devices/", HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert [device["name"] for device in answer.json()] == ["Back porch"]
    other = client.get(f"/api/devices/{history[1].pk}/readings/", {"api_key": key})
    assert other.status_code == 404


def test_no_login_and_no_read_key_is_refused(client, history, outside):
    assert client.get("/api/devices/").status_code == 403
    refused = client.get("/api/devices/", HTTP_AUTHORIZATION=f"Api-Key {outside.key}")
    assert refused.status_code == 403
    assert "a write key does not read" in refused.json()["detail"]


def test_readings_come_oldest_first_a_cursor_page_at_a_time(admin_client, history):
    porch, _ = history
    values, url = [], f"/api/devices/{porch.pk}/readings/?page_size=3"
    while url:
        page = admin_client.get(url).json()
        values += [reading["value"] for reading in page["results"]]
        url = page["next"]

    assert values == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]


def test_readings_filter_by_field_and_time_range(admin_client, history):
    porch, _ = history
    answer = admin_client.get(
        f"/api/devices/{porch.pk}/readings/",
        {"field": "1", "start": "2026-11-20T10:02:00Z", "end": "2026-11-20T10:03:00Z"},
    )

    assert [(r["value"], r["recorded_at"]) for r in answer.json()["results"]] == [
        (12.0, "2026-11-20T10:02:00Z"),
        (13.0, "2026-11-20T10:03:00Z"),
    ]
    assert admin_client.get(f"/api/devices/{porch.pk}/readings/", {"field": "2"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"field": "9"}, "field must be a whole number from 1 to 8"),
        ({"start": "soon"}, "start must be ISO 8601"),
        ({"start": "2026-11-21T00:00:00Z", "end": "2026-11-20T00:00:00Z"}, "start is after end"),
    ],
)
def test_bad_filters_answer_400_with_a_reason(admin_client, history, params, detail):
    answer = admin_client.get(f"/api/devices/{history[0].pk}/readings/", params)

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(detail)


def test_the_schema_is_served_and_the_docs_page_uses_no_cdn(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/devices/{device}/readings/" in schema.content
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    # Nothing from another host. (Not a search for "cdn": the page's random CSRF token can hold it.)
    assert re.search(rb"""(src|href)=["']?(https?:)?//""", docs.content) is None


@pytest.mark.live  # manage.py in a subprocess, under the production settings
def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    env = {"SECRET_KEY": THROWAWAY_SECRET_KEY, "PATH": "", "DJANGO_SETTINGS_MODULE": "iotserver.settings"}
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            tmp_path / "s.yaml",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )

    # A view whose answer drf-spectacular cannot describe is named in stderr: annotate it with extend_schema.
    assert done.returncode == 0, done.stderr
    assert "openapi: 3" in (tmp_path / "s.yaml").read_text()


def test_history_is_downsampled_with_min_mean_max_per_bucket(client, history):
    porch, _ = history
    key = key_issue(device=porch, scope=READ).key

    answer = client.get(
        f"/api/devices/{porch.pk}/history/",
        {"start": "2026-11-20T10:00:00Z", "end": "2026-11-20T10:10:00Z", "max_points": "3", "api_key": key},
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["bucket_seconds"] == 300
    [series] = body["series"]
    assert (series["field"], series["label"]) == (1, "Temperature")
    assert series["points"] == [
        {"start": "2026-11-20T10:00:00Z", "low": 10.0, "mean": 12.0, "high": 14.0, "count": 5},
        {"start": "2026-11-20T10:05:00Z", "low": 15.0, "mean": 15.5, "high": 16.0, "count": 2},
    ]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"start": "soon"}, "start must be ISO 8601"),
        ({"max_points": "1"}, "max_points: "),
        ({"start": "2026-11-21T00:00:00Z", "end": "2026-11-20T00:00:00Z"}, "start is after end"),
    ],
)
def test_history_refuses_bad_parameters(admin_client, history, params, detail):
    answer = admin_client.get(f"/api/devices/{history[0].pk}/history/", params)

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(detail)


def test_history_needs_a_login_or_the_devices_read_key(client, history):
    porch, room = history
    key = key_issue(device=room, scope=READ).key

    assert client.get(f"/api/devices/{porch.pk}/history/").status_code == 403
    assert client.get(f"/api/devices/{porch.pk}/history/", {"api_key": key}).status_code == 404
