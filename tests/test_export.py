"""The CSV export: streamed, a header row, ISO 8601 UTC times; memory does not grow with the range."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from devices.models import READ
from devices.services import key_issue
from readings.exports import csv_lines
from readings.models import Reading
from readings.rules import NewReading
from readings.services import record_readings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_export_streams_a_header_and_one_row_per_reading(admin_client, outside):
    device = outside.api_key.device
    record_readings(
        device=device, readings=[NewReading(1, 21.5625, T0), NewReading(1, -3.25, T0 + timedelta(minutes=1))]
    )

    answer = admin_client.get(f"/api/devices/{device.pk}/readings.csv")

    assert answer.status_code == 200 and answer.streaming
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == f'attachment; filename="readings-{device.pk}.csv"'
    assert b"".join(answer.streaming_content).decode().splitlines() == [
        "recorded_at,device,field,value",
        "2026-01-01T00:00:00Z,Back porch,1,21.5625",
        "2026-01-01T00:01:00Z,Back porch,1,-3.25",
    ]


def test_export_narrows_to_a_time_range_and_field(admin_client, outside):
    device = outside.api_key.device
    record_readings(
        device=device, readings=[NewReading(1, float(i), T0 + timedelta(hours=i)) for i in range(5)]
    )

    answer = admin_client.get(
        f"/api/devices/{device.pk}/readings.csv",
        {"start": "2026-01-01T01:00:00Z", "end": "2026-01-01T02:00:00Z", "field": "1"},
    )

    lines = b"".join(answer.streaming_content).decode().splitlines()
    assert [line.split(",")[-1] for line in lines[1:]] == ["1.0", "2.0"]


def test_export_with_a_read_key_and_refusals(client, outside, inside):
    device = outside.api_key.device
    key = key_issue(device=device, scope=READ).key
    other = key_issue(device=inside.api_key.device, scope=READ).key
    url = f"/api/devices/{device.pk}/readings.csv"

    assert client.get(url, {"api_key": key}).status_code == 200
    assert client.get(url).status_code == 403
    assert client.get(url, {"api_key": other}).status_code == 404  # as the read API: no probing by id
    assert client.get(url, {"api_key": outside.key}).status_code == 403  # a write key does not read
    bad = client.get(url, {"api_key": key, "start": "soon"})
    assert (bad.status_code, bad.content) == (
        400,
        b"start must be ISO 8601 (2026-11-20T10:00:00Z), YYYY-MM-DD HH:NN:SS or epoch seconds\n",
    )
    assert client.get(url, {"api_key": key, "field": "0"}).status_code == 400


def test_the_admin_links_each_device_to_its_export(admin_client, outside):
    page = admin_client.get("/admin/devices/device/")

    assert f'href="/api/devices/{outside.api_key.device.pk}/readings.csv"'.encode() in page.content


def _fill(device, count: int) -> None:
    # Synthetic history for the memory measurement only: a minute apart, inserted in bulk because
    # the point is the export's memory, and record_readings' checks would only slow this down.
    Reading.objects.bulk_create(
        (
            Reading(
                device=device,
                field=1,
                value=20.0,
                recorded_at=T0 + timedelta(minutes=i),
                stamped_by_device=True,
            )
            for i in range(count)
        ),
        batch_size=5000,
    )


def _peak_bytes(device) -> tuple[int, int]:
    tracemalloc.start()
    try:
        rows = sum(1 for _ in csv_lines(device=device))
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.load  # 55,000 readings stored and exported under tracemalloc: about 20 s
@pytest.mark.django_db
def test_export_memory_does_not_grow_with_the_range(outside):
    device = outside.api_key.device
    _fill(device, 5_000)
    small_rows, small_peak = _peak_bytes(device)
    Reading.objects.filter(device=device).delete()
    _fill(device, 50_000)
    large_rows, large_peak = _peak_bytes(device)

    assert (small_rows, large_rows) == (5_001, 50_001)
    # Ten times the rows; a list of them would need ten times the memory.
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)
