"""One way in, one way out: every read surface treats every way of presenting a key alike, and the
station URL costs no more statements than it did before the ingest entry point."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices.models import READ
from devices.services import key_issue, key_revoke
from readings.models import Reading
from tests.conftest import station_url

# Every read surface, as (path template, what a refusal looks like there).
API, THINGSPEAK = "api", "thingspeak"
READ_SURFACES = [
    ("/api/devices/", API),
    ("/api/devices/{id}/readings/", API),
    ("/api/devices/{id}/history/", API),
    ("/api/devices/{id}/readings.csv", API),
    ("/channels/{id}/feeds.json", THINGSPEAK),
    ("/channels/{id}/feeds.csv", THINGSPEAK),
    ("/channels/{id}/fields/1.json", THINGSPEAK),
    ("/channels/{id}/fields/1.csv", THINGSPEAK),
    ("/channels/{id}/feeds/last.json", THINGSPEAK),
    ("/channels/{id}/feeds/last.csv", THINGSPEAK),
    ("/channels/{id}/fields/1/last.json", THINGSPEAK),
    ("/channels/{id}/fields/1/last", THINGSPEAK),
]
# Each way a reader can present a key: the query (ThingSpeak's api_key and key), the read API's
# Authorization header, and ThingSpeak's headers as its PyPI client and its Arduino library send them.
PRESENTATIONS = {
    "api_key": lambda key: ({"api_key": key}, {}),
    "key": lambda key: ({"key": key}, {}),
    "authorization": lambda key: ({}, {"HTTP_AUTHORIZATION": f"Api-Key {key}"}),
    "thingspeak header": lambda key: ({}, {"HTTP_THINGSPEAKAPIKEY": key}),
    "arduino header": lambda key: ({}, {"HTTP_X_THINGSPEAKAPIKEY": key}),
}


@pytest.fixture
def porch(client, outside):
    client.get(station_url(outside, data="12.5"))
    return outside.api_key.device


@pytest.mark.parametrize("presentation", PRESENTATIONS)
@pytest.mark.parametrize(("path", "surface"), READ_SURFACES)
def test_every_read_surface_treats_each_kind_of_key_alike(
    client, porch, outside, path, surface, presentation
):
    read = key_issue(device=porch, scope=READ).key
    revoked = key_issue(device=porch, scope=READ)
    key_revoke(api_key=revoked.api_key)
    url = path.format(id=porch.pk)

    answers = {}
    for kind, key in {"read": read, "write": outside.key, "revoked": revoked.key, "none": ""}.items():
        query, headers = PRESENTATIONS[presentation](key) if key else ({}, {})
        answers[kind] = client.get(url, query, **headers)

    assert answers["read"].status_code == 200
    body = (
        b"".join(answers["read"].streaming_content) if answers["read"].streaming else answers["read"].content
    )
    assert b"12.5" in body
    for kind in ("write", "revoked", "none"):
        refused = answers[kind]
        if surface == API:
            assert refused.status_code == 403, (kind, refused.content)
        else:
            assert (refused.status_code, refused.content) == (400, b"-1"), kind
            assert refused["X-Refusal-Reason"]


@pytest.mark.parametrize(("path", "surface"), [s for s in READ_SURFACES if "{id}" in s[0]])
def test_a_read_key_of_another_device_finds_nothing_there(client, porch, inside, path, surface):
    other = key_issue(device=inside.api_key.device, scope=READ).key

    answer = client.get(path.format(id=porch.pk), {"api_key": other})

    if surface == API:
        assert answer.status_code == 404  # the same as an id that does not exist: no probing
        assert client.get(path.format(id=porch.pk + 999), {"api_key": other}).status_code == 404
    else:
        assert (answer.status_code, answer.content) == (400, b"-1")


def statements(captured) -> list[str]:
    """The SQL statements of a request, without transaction control (BEGIN IMMEDIATE on SQLite,
    savepoints inside a test's transaction), which differs by engine and costs no query plan."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(control)]


def test_the_station_url_costs_five_statements(client, outside):
    # key and device, fields, the reading's insert, its rollups and last_seen: no more than before
    # the ingest entry point took over (the write lock is a file lock, not a statement).
    client.get(station_url(outside, data="1.0"))  # warm: the first request loads content types
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(station_url(outside, data="20.5"))

    assert answer.status_code == 200
    assert len(statements(captured)) == 5, statements(captured)
    assert Reading.objects.filter(value=20.5).count() == 1


def test_with_the_rate_limit_on_it_costs_one_more(client, outside, settings):
    settings.DEVICE_RATE_LIMIT = "1000/min"
    client.get(station_url(outside, data="1.0"))
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(station_url(outside, data="20.5"))

    assert answer.status_code == 200
    assert len(statements(captured)) == 6, statements(captured)
