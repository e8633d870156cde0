"""Garbage in, a clear 4xx out, nothing stored: property-based (hypothesis) over every write endpoint.

Each example is one request to the station URL, the JSON form or a ThingSpeak write, built from
valid parts mixed with the nasty values boards and attackers send. The properties: never a 5xx;
a 4xx stores nothing; a 2xx stores exactly what it answers. The nasty values named in the issue
are also sent one by one (NASTY_*), so they are tried on every run whatever hypothesis draws.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readings.models import Reading

TRIED: Counter = Counter()  # requests sent per endpoint, printed at the end for the README

NASTY_NUMBERS = [
    "NaN", "nan", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e309", "-1e309", "1e-400", "-0", "-0.0",
    "+0", " 21.5", "21.5 ", "2 1.5", "21,5", "1,000.5", "0x15", "1_000", "٢١", "21.5\x00", "21.5\n",
    "", " ", ".", "-", "1e", "9" * 400, "21.5.5", "true", "null", "[]", "{}",
]  # fmt: skip
NASTY_TEXT = [
    "'; DROP TABLE readings_reading; --",
    "1 OR 1=1",
    '" OR ""="',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "%2F",
    "a%2Fb",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "%FF%FE",
    "%C0%AF",
    "\u202e",
    "x" * 10240,
]
NASTY_TIMES = [
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-00-00T00:00:00Z", "2026-02-30T00:00:00Z",
    "2026-11-21T25:00:00Z", "2026-11-21T05:00:00+99:00", -62135596800, 253402300799, 1e20, -1e20,
    "1e309", "NaN", "", "now", "<b>today</b>", 0, -1,
]  # fmt: skip

settings_for_endpoints = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def count_rows() -> int:
    return Reading.objects.count()


def check(response, before: int, endpoint: str) -> None:
    """The properties every write must keep, whatever it was sent."""
    TRIED[endpoint] += 1
    status = response.status_code
    assert status < 500, (status, response.content[:200])
    if status >= 400:
        assert count_rows() == before, f"a {status} stored something"
    else:
        assert count_rows() > before


@pytest.fixture(scope="module", autouse=True)
def report_tried():
    yield
    print(f"\nbad-input requests tried: {sum(TRIED.values())} ({dict(TRIED)})")


def segment_from_bytes(raw: bytes) -> str:
    return quote_from_bytes(raw, safe="")


# A path segment: text or bytes percent-encoded (non-UTF-8 included), a nasty value as is, or huge.
segments = st.one_of(
    st.text(max_size=30).map(lambda text: quote(text, safe="")),
    st.binary(max_size=30).map(segment_from_bytes),
    st.sampled_from(NASTY_TEXT + NASTY_NUMBERS).map(lambda text: quote(text, safe="%")),
    st.sampled_from(["9" * 10240, "%2F" * 3000, "%FF" * 3000]),  # 10 kB segments
)
numbers = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-30, max_value=40).map(str),  # valid ones too, so 2xx paths are exercised
    st.sampled_from(NASTY_TEXT),
)


@pytest.mark.fuzz
@settings_for_endpoints
@given(
    key=st.one_of(st.just("KEY"), segments),
    mac=st.one_of(st.just("MAC"), segments),
    field=st.one_of(st.sampled_from(["1", "2", "01", "1.0", "-1", "9", " 1", "1e0", "١"]), segments),
    data=st.one_of(numbers.map(lambda text: quote(text, safe="")), segments),
    extra=st.sampled_from(["", "/", "?data=99", "?data=1&data=NaN", "//", "/extra"]),
)
def test_the_station_url_never_fails_and_stores_nothing_it_refuses(
    client, outside, key, mac, field, data, extra
):
    device = outside.api_key.device
    key = outside.key if key == "KEY" else key
    mac = device.mac if mac == "MAC" else mac
    before = count_rows()

    response = client.get(f"/update/API_key={key}/mac={mac}/field={field}/data={data}{extra}")

    check(response, before, "station URL")


@pytest.mark.parametrize("part", ["key", "mac", "field", "data"])
def test_each_nasty_value_in_each_part_of_the_station_url(client, outside, part):
    for value in NASTY_NUMBERS + NASTY_TEXT:
        parts = {"key": outside.key, "mac": outside.api_key.device.mac, "field": "1", "data": "21.5"}
        parts[part] = quote(value, safe="%")
        before = count_rows()

        response = client.get("/update/API_key={key}/mac={mac}/field={field}/data={data}".format(**parts))

        check(response, before, "station URL")
        if value in ("-0", "-0.0", "+0", " 21.5", "21.5 ", "1e-400"):
            continue  # numbers after all (a stripped space, zero, an underflow to zero)
        assert 400 <= response.status_code < 500, (part, value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
reading_objects = st.fixed_dictionaries(
    {},
    optional={
        "field": st.one_of(st.integers(-2, 10), st.sampled_from(["1", "x", 1.5, None, True]), json_values),
        "data": st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(min_value=-(10**400), max_value=10**400),
            st.sampled_from(NASTY_NUMBERS + NASTY_TEXT),
            json_values,
        ),
        "recorded_at": st.one_of(st.sampled_from(NASTY_TIMES), json_values),
    },
)


def dumps(body: object) -> str:
    return json.dumps(body)  # NaN and Infinity come out as bare tokens: invalid JSON, sent on purpose


@pytest.mark.fuzz
@settings_for_endpoints
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"mac": st.one_of(st.just("MAC"), st.sampled_from(NASTY_TEXT), json_values)},
            optional={
                "readings": st.one_of(st.lists(reading_objects, max_size=5), json_values),
                "field": st.integers(0, 9),
                "data": st.one_of(
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NASTY_NUMBERS)
                ),
                "api_key": st.one_of(st.just("KEY"), st.sampled_from(NASTY_TEXT), json_values),
            },
        ),
        json_values,
    ),
    auth=st.sampled_from(["KEY", "", "Api-Key", "Bearer KEY", "Api-Key x' OR '1'='1"]),
)
def test_the_json_form_never_fails_and_stores_nothing_it_refuses(client, outside, body, auth):
    if isinstance(body, dict):
        body = {
            name: (outside.api_key.device.mac if value == "MAC" else outside.key if value == "KEY" else value)
            for name, value in body.items()
        }
    header = f"Api-Key {outside.key}" if auth == "KEY" else auth.replace("KEY", outside.key)
    before = count_rows()

    response = client.post(
        "/api/readings/", dumps(body), content_type="application/json", HTTP_AUTHORIZATION=header
    )

    check(response, before, "JSON form")


thingspeak_params = st.dictionaries(
    st.sampled_from(
        [f"field{n}" for n in range(0, 10)] + ["created_at", "timezone", "status", "lat", "api_key"]
    ),
    st.one_of(
        st.sampled_from(NASTY_NUMBERS + NASTY_TEXT + [str(t) for t in NASTY_TIMES]), st.text(max_size=20)
    ),
    max_size=6,
)


@pytest.mark.fuzz
@settings_for_endpoints
@given(
    params=thingspeak_params,
    keyed=st.booleans(),
    how=st.sampled_from(["get", "post", "post-json", "get-json"]),
    duplicate=st.booleans(),
)
def test_thingspeak_updates_never_fail_and_store_nothing_they_refuse(
    client, outside, params, keyed, how, duplicate
):
    if keyed:
        params = {**params, "api_key": outside.key}
    path = "/update.json" if how.endswith("json") else "/update"
    query = "&field1=NaN&field1=21.5" if duplicate else ""
    before = count_rows()

    if how.startswith("get"):
        response = client.get(
            path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items()) + query
        )
    elif how == "post":
        response = client.post(path + ("?" + query[1:] if query else ""), params)
    else:
        response = client.post(path, dumps(params), content_type="application/json")

    check(response, before, "ThingSpeak update")


@pytest.mark.fuzz
@settings_for_endpoints
@given(
    updates=st.one_of(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "field1": st.one_of(
                        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NASTY_NUMBERS)
                    ),
                    "created_at": st.one_of(st.sampled_from(NASTY_TIMES), json_values),
                    "delta_t": st.one_of(
                        st.floats(allow_nan=True, allow_infinity=True), st.integers(), json_values
                    ),
                },
            ),
            max_size=5,
        ),
        json_values,
    ),
    key=st.one_of(st.just("KEY"), json_values),
    channel_offset=st.sampled_from([0, 0, 1]),
)
def test_thingspeak_bulk_updates_never_fail_and_store_nothing_they_refuse(
    client, outside, updates, key, channel_offset
):
    body = {"write_api_key": outside.key if key == "KEY" else key, "updates": updates}
    channel = outside.api_key.device.pk + channel_offset
    before = count_rows()

    response = client.post(
        f"/channels/{channel}/bulk_update.json", dumps(body), content_type="application/json"
    )

    check(response, before, "ThingSpeak bulk update")


def nesting_bomb(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def json_writes(issued) -> list[tuple[str, str]]:
    channel = issued.api_key.device.pk
    return [
        ("/api/readings/", "JSON form"),
        ("/update.json", "ThingSpeak update"),
        ("/update", "ThingSpeak update"),
        (f"/channels/{channel}/bulk_update.json", "ThingSpeak bulk update"),
    ]


def test_nesting_bombs_and_broken_bodies_are_refused_everywhere(client, outside):
    bodies = [
        nesting_bomb(),
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"mac": "x", "readings": ' + nesting_bomb(5000) + "}",
        b"\xff\xfe{not json".decode("latin-1"),
        '{"field1": 1e999999}',
        '{"field1": ' + "9" * 5000 + "}",
        "",
        "null",
        "[]",
    ]
    for path, endpoint in json_writes(outside):
        for body in bodies:
            before = count_rows()
            response = client.post(
                path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {outside.key}"
            )
            check(response, before, endpoint)
            assert 400 <= response.status_code < 500


def test_a_batch_of_1001_readings_is_refused_whole(client, outside):
    mac = outside.api_key.device.mac
    readings = [{"field": 1, "data": 20.0, "recorded_at": 1795237200 + i} for i in range(1001)]
    before = count_rows()

    response = client.post(
        "/api/readings/",
        json.dumps({"mac": mac, "readings": readings}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {outside.key}",
    )
    check(response, before, "JSON form")
    assert response.status_code == 400

    updates = [
        {"created_at": f"2026-11-20T10:{i // 60 % 60:02d}:{i % 60:02d}Z", "field1": 20} for i in range(1001)
    ]
    response = client.post(
        f"/channels/{outside.api_key.device.pk}/bulk_update.json",
        json.dumps({"write_api_key": outside.key, "updates": updates}),
        content_type="application/json",
    )
    check(response, before, "ThingSpeak bulk update")
    assert response.status_code == 400


@pytest.mark.parametrize("moment", NASTY_TIMES)
def test_timestamps_from_year_1_to_9999_are_refused_not_crashed_on(client, outside, moment):
    mac = outside.api_key.device.mac
    before = count_rows()
    response = client.post(
        "/api/readings/",
        json.dumps({"mac": mac, "field": 1, "data": 20.5, "recorded_at": moment}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {outside.key}",
    )
    check(response, before, "JSON form")
    assert response.status_code == 400

    if moment == "":
        return  # ThingSpeak's empty created_at means "now", as on ThingSpeak
    before = count_rows()
    response = client.get("/update", {"api_key": outside.key, "field1": "20.5", "created_at": str(moment)})
    check(response, before, "ThingSpeak update")
    assert response.status_code == 400
