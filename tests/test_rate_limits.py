"""Rate limits on every write endpoint: a runaway board gets 429 with Retry-After, the others carry on."""

from __future__ import annotations

import json
import math
import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readings.models import Reading
from tests.conftest import station_url


def field_of(issued) -> int:
    return issued.api_key.device.fields.first().number


def post_station(client, issued, key=None):
    url = station_url(issued, field=field_of(issued))
    if key is not None:
        url = url.replace(issued.key, key)
    return client.get(url)


def post_json(client, issued, key=None):
    body = {"mac": issued.api_key.device.mac, "readings": [{"field": field_of(issued), "data": 20.5}]}
    return client.post(
        "/api/readings/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key or issued.key}",
    )


def post_thingspeak(client, issued, key=None):
    return client.get("/update", {"api_key": key or issued.key, f"field{field_of(issued)}": "20.5"})


def post_thingspeak_json(client, issued, key=None):
    return client.post("/update.json", {"api_key": key or issued.key, f"field{field_of(issued)}": "20.5"})


def post_bulk(client, issued, key=None):
    body = {"write_api_key": key or issued.key, "updates": [{"delta_t": 0, f"field{field_of(issued)}": 20.5}]}
    channel = issued.api_key.device.pk
    return client.post(
        f"/channels/{channel}/bulk_update.json", json.dumps(body), content_type="application/json"
    )


WRITES = [post_station, post_json, post_thingspeak, post_thingspeak_json, post_bulk]


def stored(issued) -> int:
    return Reading.objects.filter(device=issued.api_key.device).count()


@pytest.mark.parametrize("post", WRITES, ids=lambda post: post.__name__)
def test_a_runaway_board_gets_429_with_retry_after_and_the_others_carry_on(
    post, client, settings, outside, inside
):
    settings.DEVICE_RATE_LIMIT = "3/hour"
    answers = [post(client, outside).status_code for _ in range(3)]
    assert all(200 <= status < 300 for status in answers), answers

    refused = post(client, outside)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert stored(outside) == 3  # the refused reading was not stored
    assert 200 <= post(client, inside).status_code < 300
    assert stored(inside) == 1


def test_the_refusal_says_which_device_and_when_to_come_back(client, settings, outside):
    settings.DEVICE_RATE_LIMIT = "1/day"
    client.get(station_url(outside))

    refused = client.get(station_url(outside))

    text = refused.content.decode()
    assert "Back porch" in text and "more than 1 requests a day" in text
    assert f"retry in {refused['Retry-After']} s" in text


def test_a_board_keeping_to_the_default_rate_is_never_refused(client, settings, outside):
    """The default allows a reading every 2 s on each of 8 fields: 240 in a minute all get in."""
    settings.DEVICE_RATE_LIMIT = "240/min"
    answers = {client.get(station_url(outside, data=f"{n / 10:.1f}")).status_code for n in range(240)}

    assert answers == {200}
    assert stored(outside) == 240


def test_the_limit_lifts_when_the_window_ends(client, settings, outside, time_machine):
    settings.DEVICE_RATE_LIMIT = "1/s"
    # Time stands at the beginning of a second, so both posts share its window.
    time_machine.move_to(math.ceil(time.time()), tick=False)
    assert client.get(station_url(outside)).status_code == 200
    refused = client.get(station_url(outside))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"

    time_machine.shift(1)

    assert client.get(station_url(outside)).status_code == 200
    assert stored(outside) == 2


@pytest.mark.parametrize("post", WRITES, ids=lambda post: post.__name__)
def test_refused_keys_are_limited_per_address_but_a_valid_key_from_there_still_writes(
    post, client, settings, outside
):
    settings.UNKNOWN_KEY_RATE_LIMIT = "2/hour"
    settings.DEVICE_RATE_LIMIT = "off"
    guesses = [post(client, outside, key=f"guess{n}").status_code for n in range(2)]
    assert guesses == [403, 403]

    refused = post(client, outside, key="guess3")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert 200 <= post(client, outside).status_code < 300
    assert stored(outside) == 1


def test_addresses_are_counted_apart(client, settings, outside):
    settings.UNKNOWN_KEY_RATE_LIMIT = "1/hour"
    wrong = station_url(outside).replace(outside.key, "nope")
    assert client.get(wrong, REMOTE_ADDR="10.0.0.1").status_code == 403
    assert client.get(wrong, REMOTE_ADDR="10.0.0.1").status_code == 429

    assert client.get(wrong, REMOTE_ADDR="10.0.0.2").status_code == 403


def statements_of_one_reading(client, issued) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(station_url(issued))
    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # BEGIN and COMMIT show as statements on SQLite only; PostgreSQL's driver sends them unlogged.
    return [s for s in statements if s not in ("BEGIN", "COMMIT")]


def test_with_the_limit_on_a_reading_costs_one_statement_more(client, settings, outside):
    """The counter is one INSERT ... ON CONFLICT ... RETURNING right after the key's SELECT
    (tests/test_station_url.py pins the statements with the limit off, as the suite runs)."""
    client.get(station_url(outside))  # warm the connection's init commands out of the count
    settings.DEVICE_RATE_LIMIT = "off"
    without_limit = statements_of_one_reading(client, outside)
    settings.DEVICE_RATE_LIMIT = "240/min"

    with_limit = statements_of_one_reading(client, outside)

    assert with_limit == [without_limit[0], "INSERT", *without_limit[1:]]


def test_off_stores_everything(client, settings, outside):
    settings.DEVICE_RATE_LIMIT = "off"
    assert {client.get(station_url(outside)).status_code for _ in range(300)} == {200}
    assert stored(outside) == 300


@pytest.mark.parametrize("rate", ["240", "fast", "0/min", "10/week"])
def test_a_mistyped_rate_stops_the_system_check(settings, rate):
    settings.DEVICE_RATE_LIMIT = rate
    with pytest.raises(SystemCheckError, match="DEVICE_RATE_LIMIT"):
        call_command("check")
