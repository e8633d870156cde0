"""redact(): a key in any spelling of its parameter's name that the server accepts leaves no trace."""

from __future__ import annotations

import logging
import secrets
import sys
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from iotserver.redaction import RedactKeysFilter, RedactUnparsedRequestsFilter, redact

pytestmark = pytest.mark.fuzz

# Where keys stand in what gets logged: request lines, paths, queries, Referers, gunicorn's errors.
PLACES = [
    "GET /update/{name}={key}/mac=6c:ef:7a:3b:9d:e8/field=1/data=20 HTTP/1.1",
    "/{name}={key}/mac=6c:ef:7a:3b:9d:e8/field=1/data=20",
    "GET /update?{name}={key}&field1=20 HTTP/1.1",
    "{name}={key}&field1=20",
    "/channels/1/feeds.json?results=2&{name}={key}",
    '"https://weather.example.org/channels/1/feeds.json?{name}={key}" "Mozilla/5.0"',
    "Invalid request from ip=127.0.0.1: Invalid HTTP request line: 'GET /update/{name}={key}/mac=x'",
    "Invalid request from ip=127.0.0.1: Invalid HTTP request line: 'GET /update/{name}={key}\t/mac=x'",
    "Bad Request: /update/{name}={key}/mac=zz/field=1/data=nan",
    "/accounts/login/?next=/channels/1/feeds.json%3F{name}%3D{key}",
]
NAMES = ["API_key", "api_key", "API%5Fkey", "api%5fkey", "%41PI_key", "write_api_key", "key", "KEY", "%6Bey"]


STATION_PLACES = ("GET /update/", "/{name}", "Invalid", "Bad")  # the station URL names only API_key=
CASES = [
    (place, name)
    for place in PLACES
    for name in NAMES
    if "api" in name.lower() or "%41" in name or not place.startswith(STATION_PLACES)
]


@pytest.mark.parametrize("place, name", CASES)
def test_every_accepted_spelling_of_a_key_parameter_is_redacted(place, name):
    key = secrets.token_urlsafe(24)
    line = place.format(name=name, key=key)

    cleaned = redact(line)

    assert key not in cleaned and quote(key, safe="") not in cleaned
    assert "<redacted>" in cleaned


@settings(max_examples=300, deadline=None)
@given(
    place=st.sampled_from(PLACES),
    name=st.sampled_from([n for n in NAMES if "key" != n.lower() and n != "%6Bey"]),
    key=st.text(st.characters(codec="ascii", exclude_characters="/?&; \t\r\n"), min_size=8, max_size=60),
    junk=st.text(max_size=30),
)
def test_redaction_leaves_no_key_whatever_surrounds_it(place, name, key, junk):
    assume(key not in place.format(name=name, key="") + junk)  # only the key's own place may hold it
    line = junk + place.format(name=name, key=key) + junk
    assert key not in redact(line)


def test_names_that_only_end_in_key_are_left_alone():
    assert redact("/dashboard?monkey=3&turkey=4") == "/dashboard?monkey=3&turkey=4"


def test_the_log_filter_redacts_messages_arguments_and_tracebacks():
    key = secrets.token_urlsafe(24)
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "Error handling request %s", (f"/update/API_key={key}/",), None
    )
    try:
        raise ValueError(f"bad line GET /update/API%5Fkey={key}/mac=x")
    except ValueError:
        record.exc_info = sys.exc_info()

    RedactKeysFilter().filter(record)

    assert key not in record.getMessage() and key not in record.exc_text
    written = logging.Formatter().format(record)
    assert key not in written and written.count("<redacted>") >= 2


@pytest.mark.parametrize(
    "sent",
    [
        "Invalid HTTP Header: 'Referer {key}'",
        "Invalid HTTP Header: 'X-THINGSPEAKAPIKEY {key}'",
        "Invalid HTTP Header: 'Authorization Api-Key {key}'",
        "Invalid Request Line 'GET /x/{key}'",
        "Invalid HTTP Version: 'HTTP/{key}'",
    ],
)
@pytest.mark.parametrize("key", [secrets.token_urlsafe(24), "old.key~1", "abcdefgh"])
def test_gunicorn_s_unparsed_requests_keep_no_key_shaped_word(sent, key):
    message = "Invalid request from ip=127.0.0.1: " + sent.format(key=key)
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, message, None, None)

    RedactUnparsedRequestsFilter().filter(record)

    assert key not in record.getMessage()
    assert record.getMessage().startswith("Invalid request from ip=127.0.0.1: ")
