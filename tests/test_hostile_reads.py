"""Hostile parameters on every read surface: a 4xx with a reason, never a 5xx, and the server reads on.

Each class of bad input the adversarial test found (times `datetime` cannot hold, digits of
other scripts, forged cursors) is sent to every read endpoint whose parameters it fits: the read
API, its history and CSV export, the dashboard's history, and ThingSpeak's feeds in each format.
A table of the known instances runs on every run; hypothesis draws more.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.models import READ
from devices.services import key_issue
from readings.models import Reading
from readings.rules import NewReading
from readings.services import record_readings

pytestmark = pytest.mark.fuzz

# Times that datetime cannot hold once a zone, an offset, days or minutes are applied to them.
EXTREME_TIMES = [
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-01:00", "0001-01-01 00:00:00", "9999-12-31 23:00:00",
    "0001-01-02 00:00:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
    "-1e11", "1e11", "-62135596800", "253402300799", "1e20", "99999999999", "-99999999999", "NaN", "inf",
    "2026-02-30T00:00:00Z", "2026-11-21T05:00:00+99:00", "９９９９-01-01", "２０２６-11-20T10:00:00Z",
]  # fmt: skip
# Digits that str.isdigit() accepts and int() does not, or that int() reads and a URL should not.
ODD_DIGITS = ["²", "³", "¹", "²²", "①", "٢", "١٠", "５", "𝟓", "1²", "-1", "+1", "1.0", "1e3", " 1", "0x1"]
ZONES = ["Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12", "UTC", ""]


def readable_paths(device_id: int) -> list[str]:
    """Every read surface of one device, in every format."""
    channel = f"/channels/{device_id}"
    return [
        f"/api/devices/{device_id}/readings/",
        f"/api/devices/{device_id}/history/",
        f"/api/devices/{device_id}/readings.csv",
        f"{channel}/feeds.json",
        f"{channel}/feeds.csv",
        f"{channel}/fields/1.json",
        f"{channel}/fields/1.csv",
        f"{channel}/feeds/last.json",
        f"{channel}/feeds/last.csv",
        f"{channel}/fields/1/last.json",
        f"{channel}/fields/1/last.csv",
        f"{channel}/fields/1/last",
    ]


THINGSPEAK_NUMBERS = ["results", "round", "days", "minutes"]
REDUCERS = ["average", "median", "sum", "timescale"]


def number_parameters(path: str) -> list[str]:
    """The whole-number parameters a read surface takes."""
    if not path.startswith("/api/"):
        return THINGSPEAK_NUMBERS
    if path.endswith("/history/"):
        return ["max_points"]
    return ["field", "page_size"] if path.endswith("/readings/") else ["field"]


@pytest.fixture
def reader(outside):
    """The porch station with a day of readings, and a read key for it."""
    device = outside.api_key.device
    start = datetime.now(UTC) - timedelta(hours=20)
    record_readings(
        device=device,
        readings=[
            NewReading(field=1, value=10 + i % 7, recorded_at=start + timedelta(minutes=10 * i))
            for i in range(100)
        ],
    )
    return device, key_issue(device=device, scope=READ).key


def get(client, path: str, key: str, params: dict | None = None):
    query = urlencode({**(params or {}), "api_key": key})
    return client.get(f"{path}?{query}")


def assert_refused_or_answered(response, path, params) -> None:
    assert response.status_code < 500, (path, params, response.status_code, response.content[:300])
    if response.status_code >= 400:
        reason = response.get("X-Refusal-Reason") or response.content.decode(errors="replace")
        assert reason.strip() not in ("", "-1", "0"), (path, params, "a refusal without a reason")


def assert_still_reads(client, device, key) -> None:
    response = get(client, f"/api/devices/{device.pk}/readings/", key)
    assert response.status_code == 200 and len(response.json()["results"]) == 100


@pytest.mark.parametrize("name", ["start", "end"])
def test_times_datetime_cannot_hold_are_refused_on_every_read(client, reader, name):
    device, key = reader
    before = Reading.objects.count()
    for path in readable_paths(device.pk):
        for moment in EXTREME_TIMES:
            for extra in [{}, {"timezone": "Asia/Tokyo"}, {"timezone": "America/Los_Angeles"}, {"days": "5"}]:
                params = {name: moment, **extra}
                response = get(client, path, key, params)
                assert_refused_or_answered(response, path, params)
    assert Reading.objects.count() == before
    assert_still_reads(client, device, key)


def test_the_issue_s_thingspeak_time_examples_are_a_400_with_a_reason(client, reader):
    device, key = reader
    cases = [
        {"end": "9999-12-31 23:00:00", "timezone": "America/Los_Angeles"},
        {"end": "0001-01-02 00:00:00", "days": "5"},
        {"start": "0001-01-01 00:00:00", "timezone": "Asia/Tokyo"},
        {"end": "9999-12-31 23:59:59", "offset": "-12"},
        {"start": "0001-01-01 00:00:00", "offset": "14"},
        {"days": "3650000"},
        {"minutes": "1e12"},
    ]
    for params in cases:
        response = get(client, f"/channels/{device.pk}/feeds.json", key, params)
        assert response.status_code == 400, (params, response.content)
        assert response.json()["detail"], params


@pytest.mark.parametrize("zone", ZONES)
def test_days_and_minutes_before_the_earliest_end_are_refused_not_crashed(client, reader, zone):
    device, key = reader
    for path in readable_paths(device.pk)[3:]:
        for span in ["days", "minutes"]:
            for value in ["5", "1e9", "99999999", "-1", "nan", "inf", "1e400"]:
                params = {"end": "1000-01-01 00:00:00", span: value, "timezone": zone}
                assert_refused_or_answered(get(client, path, key, params), path, params)


def test_digits_of_other_scripts_are_refused_in_every_number_parameter(client, reader):
    device, key = reader
    for path in readable_paths(device.pk):
        names = number_parameters(path)
        for name in names:
            for digits in ODD_DIGITS:
                params = {name: digits}
                response = get(client, path, key, params)
                assert_refused_or_answered(response, path, params)
                # DRF ignores a page_size it cannot read, as documented.
                if digits in ("²", "٢", "①", "５") and name != "page_size":
                    assert response.status_code == 400, (path, params, response.content[:200])
    for reducer in REDUCERS:
        for digits in ODD_DIGITS:
            params = {reducer: digits}
            response = get(client, f"/channels/{device.pk}/feeds.json", key, params)
            assert response.status_code == 400, (params, response.content)
    assert_still_reads(client, device, key)


def forged_cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


FORGED_CURSORS = [
    forged_cursor(text)
    for text in [
        "p=x", "p=", "p=0001-01-01T00:00:00+05:00", "p=9999-12-31T23:59:59-01:00", "p=1e400", "o=-1",
        "o=99999999999999999999", "o=x", "r=1&p=x", "o=²", "p=²", "o=1&o=2", "p=2026-11-20&o=1&r=x",
    ]
] + ["cD14", "!!!", "", "%00", "x" * 5000]  # fmt: skip


def test_a_forged_cursor_is_drf_s_invalid_cursor_404(client, reader):
    device, key = reader
    path = f"/api/devices/{device.pk}/readings/"
    for cursor in FORGED_CURSORS:
        response = get(client, path, key, {"cursor": cursor})
        assert response.status_code in (200, 404), (cursor, response.status_code, response.content[:200])
        if response.status_code == 404:
            assert response.json() == {"detail": "Invalid cursor"}, cursor
    assert get(client, path, key, {"cursor": "cD14"}).status_code == 404
    assert_still_reads(client, device, key)


def test_a_real_cursor_still_pages(client, reader):
    device, key = reader
    path = f"/api/devices/{device.pk}/readings/"
    first = get(client, path, key, {"page_size": "30"}).json()
    second = client.get(first["next"] + f"&api_key={key}").json()
    assert len(first["results"]) == len(second["results"]) == 30
    assert first["results"][-1]["recorded_at"] < second["results"][0]["recorded_at"]


query_values = st.one_of(
    st.sampled_from(EXTREME_TIMES + ODD_DIGITS + FORGED_CURSORS + ZONES),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats().map(repr),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    which=st.integers(min_value=0, max_value=11),
    params=st.dictionaries(
        st.sampled_from(
            ["start", "end", "field", "cursor", "page_size", "max_points", "timezone", "offset"]
            + THINGSPEAK_NUMBERS
            + REDUCERS
        ),
        query_values,
        max_size=4,
    ),
)
def test_any_mix_of_read_parameters_never_fails(client, reader, which, params):
    device, key = reader
    path = readable_paths(device.pk)[which]
    response = get(client, path, key, params)
    assert_refused_or_answered(response, path, params)


def test_dashboard_history_answers_every_range_for_a_member(client, reader, django_user_model):
    member = django_user_model.objects.create_user("anna", password="x")
    client.force_login(member)
    for name in ["24h", "7d", "30d", "1y", "²", "0001", quote("9999-12-31"), ""]:
        response = client.get(f"/api/history/?range={name}")
        assert response.status_code in (200, 400), (name, response.status_code)
