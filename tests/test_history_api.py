"""GET /api/history/ and GET /api/latest/: the chart's data, downsampled, and the live poll's 304s."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from django.utils.timezone import now

from devices.models import PRESSURE, Field
from readings.models import Reading
from readings.rollups import rollups_rebuild
from tests.factories import ReadingFactory, StationFactory

pytestmark = pytest.mark.django_db


def history(client, range_: str | None = "24h") -> dict:
    response = client.get("/api/history/", {"range": range_} if range_ else {})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(("range_", "width"), [("24h", 300), ("7d", 1800), ("30d", 7200), ("1y", 86400)])
def test_each_range_is_cut_into_at_most_500_buckets(client, member, outside, range_, width):
    body = history(client, range_)

    assert body["range"] == range_ and body["bucket_seconds"] == width
    [series] = body["series"]
    assert series["points"] == []  # no readings yet: an empty series, not an error
    assert series["name"] == "Back porch" and series["placement"] == "outside"
    assert (series["label"], series["unit"], series["kind"]) == ("Temperature", "°C", "temperature")


def test_the_default_range_is_24_hours(client, member, outside):
    assert history(client, None)["range"] == "24h"


def test_an_unknown_range_is_a_clear_400(client, member):
    response = client.get("/api/history/", {"range": "5m"})

    assert response.status_code == 400
    assert response.json() == {"detail": 'range: "5m" is not a valid choice.'}


def test_a_day_of_minutes_comes_back_with_its_spike(client, member, outside):
    device = outside.api_key.device
    start = now() - timedelta(hours=23)
    # Synthetic bulk history (a day at one reading a minute), not a write path under test.
    Reading.objects.bulk_create(
        Reading(
            device=device, field=1, value=35.0 if n == 700 else 20.0, recorded_at=start + timedelta(minutes=n)
        )
        for n in range(23 * 60)
    )
    # History reads rollups; rows stored around record_readings have none until rebuilt.
    rollups_rebuild()

    [series] = history(client)["series"]

    points = series["points"]
    assert len(points) <= 500 and len(points) >= 23 * 12
    assert max(p[3] for p in points) == 35.0 and min(p[1] for p in points) == 20.0
    assert all(p[1] <= p[2] <= p[3] for p in points)
    assert [p[0] for p in points] == sorted(p[0] for p in points)
    assert all(p[0] % 300 == 0 for p in points)


def test_readings_outside_the_range_are_left_out(client, member, outside):
    ReadingFactory.create(station=outside, value=10.0, minutes_ago=25 * 60)
    ReadingFactory.create(station=outside, value=11.0, minutes_ago=1)

    [series] = history(client)["series"]

    assert [p[2] for p in series["points"]] == [11.0]


def test_other_fields_are_their_own_series_with_label_and_unit(client, member, outside):
    Field.objects.create(
        device=outside.api_key.device, number=3, label="Air pressure", unit="hPa", kind=PRESSURE
    )
    ReadingFactory.create(station=outside, value=18.0)
    ReadingFactory.create(station=outside, value=1013.0, field=3)

    series = {s["field"]: s for s in history(client)["series"]}

    assert (series[3]["label"], series[3]["unit"], series[3]["kind"]) == ("Air pressure", "hPa", "pressure")
    assert [p[2] for p in series[3]["points"]] == [1013.0]
    assert [p[2] for p in series[1]["points"]] == [18.0]


def test_history_is_compressed_for_clients_that_accept_it(client, member, outside):
    for n in range(200):
        ReadingFactory.create(station=outside, value=20 + n / 100, minutes_ago=n * 5 + 1)

    response = client.get("/api/history/", HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["series"][0]["points"]


def test_latest_answers_304_until_something_changes(client, member, outside, inside):
    ReadingFactory.create(station=outside, value=18.0)
    ReadingFactory.create(station=inside, value=22.0)

    first = client.get("/api/latest/")
    again = client.get("/api/latest/", HTTP_IF_NONE_MATCH=first["ETag"])
    ReadingFactory.create(station=outside, value=17.5)
    changed = client.get("/api/latest/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and again.status_code == 304 and again.content == b""
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    body = changed.json()
    assert body["advice"]["state"] == "open"
    assert body["advice"]["text"] == "Outside is {delta} cooler than inside: open the windows"
    assert body["advice"]["difference"] == -4.5
    assert body["means"] == {"outside": 17.5, "inside": 22.0}
    outside_series = next(s for s in body["series"] if s["key"] == f"{outside.api_key.device.id}-1")
    assert outside_series["value"] == 17.5 and outside_series["stale"] is False
    assert (outside_series["low"], outside_series["high"]) == (17.5, 18.0)


def test_a_live_update_is_small(client, member, outside, inside):
    for n in range(4):
        extra = StationFactory.create(name=f"Extra {n}")
        ReadingFactory.create(station=extra, value=20.0 + n)
    ReadingFactory.create(station=outside, value=18.0)
    ReadingFactory.create(station=inside, value=22.0)

    response = client.get("/api/latest/")

    assert len(gzip.compress(response.content)) < 5 * 1024
    assert len(response.content) < 5 * 1024  # even uncompressed


def test_history_and_latest_cost_a_fixed_number_of_queries(
    client, member, outside, inside, django_assert_max_num_queries
):
    ReadingFactory.create(station=outside, value=18.0)
    ReadingFactory.create(station=inside, value=22.0)
    with django_assert_max_num_queries(50) as history_small:
        history(client, "7d")
    with django_assert_max_num_queries(50) as latest_small:
        client.get("/api/latest/")
    for n in range(3):
        extra = StationFactory.create(name=f"Extra {n}")
        for minutes in range(0, 600, 10):
            ReadingFactory.create(station=extra, value=20.0 + n, minutes_ago=minutes + 0.5)
    with django_assert_max_num_queries(50) as history_large:
        history(client, "7d")
    with django_assert_max_num_queries(50) as latest_large:
        client.get("/api/latest/")

    assert len(history_large.captured_queries) == len(history_small.captured_queries) <= 4
    # session, user, four reads, and the forecast's week of ten-minute means
    assert len(latest_large.captured_queries) == len(latest_small.captured_queries) <= 7


def test_latest_matches_etags_as_http_does_not_as_substrings(client, member, outside):
    ReadingFactory.create(station=outside, value=18.0)
    tag = client.get("/api/latest/")["ETag"]

    def status(header: str) -> int:
        return client.get("/api/latest/", HTTP_IF_NONE_MATCH=header).status_code

    assert status(f'"older", {tag}') == 304  # one of a list
    assert status(f"W/{tag}") == 304  # a weak tag compares weakly
    assert status("*") == 304
    assert status(f"x{tag}x") == 200  # holds the tag's text, but is not the tag
    assert status('"' + tag.strip('"') + 'extra"') == 200


def test_a_zoomed_stretch_comes_back_in_finer_buckets(client, member, outside):
    for minutes in range(1, 180):
        ReadingFactory.create(station=outside, value=20 + (minutes % 7) / 10, minutes_ago=minutes)
    end = int(now().timestamp())
    start = end - 3600

    response = client.get("/api/history/", {"start": start, "end": end})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["range"] == "zoom" and body["bucket_seconds"] == 10  # an hour: not the day's 300 s
    [series] = body["series"]
    assert all(start - 10 < p[0] <= end for p in series["points"])
    assert 59 <= len(series["points"]) <= 61  # the readings of that hour, one a minute, each its own bucket


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": 1700000000}, "start and end come together"),
        ({"start": 1700000000, "end": 1700000030}, "end must be at least 60 s after start"),
        ({"start": 1700000000, "end": 99999999999}, "end: Ensure this value is less than or equal to"),
        ({"start": "yesterday", "end": 1700000000}, "start: A valid integer is required."),
    ],
)
def test_a_zoom_that_makes_no_sense_is_a_clear_400(client, member, query, message):
    response = client.get("/api/history/", query)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(message), response.json()
