"""ThingSpeak's read API: feeds, fields, last entries, as JSON and CSV, with ThingSpeak's parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.timezone import now

from devices.models import PRESSURE, READ, Field
from devices.services import key_issue, key_revoke
from readings.rules import NewReading
from readings.services import record_readings

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def porch(outside):
    device = outside.api_key.device
    Field.objects.create(device=device, number=2, label="Pressure", unit="hPa", kind=PRESSURE)
    # Six updates a minute apart from 10:00 UTC, each with both fields, then a field-1-only one.
    for minute in range(6):
        at = T0 + timedelta(minutes=minute)
        record_readings(
            device=device,
            readings=[NewReading(1, 20.0 + minute, at), NewReading(2, 1000.0 + minute, at)],
        )
    record_readings(device=device, readings=[NewReading(1, 30.125, T0 + timedelta(minutes=10))])
    return device


@pytest.fixture
def read_key(porch) -> str:
    return key_issue(device=porch, scope=READ).key


def feeds(client, porch, read_key, path="feeds.json", **params):
    return client.get(f"/channels/{porch.pk}/{path}", {"api_key": read_key, **params})


def test_feeds_json_has_the_channel_with_labels_and_entries_with_string_values(client, porch, read_key):
    answer = feeds(client, porch, read_key)

    assert answer.status_code == 200
    body = answer.json()
    channel = body["channel"]
    assert (channel["id"], channel["name"], channel["field1"], channel["field2"]) == (
        porch.pk,
        "Back porch",
        "Temperature",
        "Pressure",
    )
    assert channel["last_entry_id"] == body["feeds"][-1]["entry_id"]
    assert len(body["feeds"]) == 7
    assert body["feeds"][0] == {
        "created_at": "2026-11-20T10:00:00Z",
        "entry_id": body["feeds"][0]["entry_id"],
        "field1": "20.0",
        "field2": "1000.0",
    }
    assert body["feeds"][-1]["field1"] == "30.125" and body["feeds"][-1]["field2"] is None


def test_results_gives_the_latest_entries_oldest_first(client, porch, read_key):
    times = [f["created_at"] for f in feeds(client, porch, read_key, results="2").json()["feeds"]]

    assert times == ["2026-11-20T10:05:00Z", "2026-11-20T10:10:00Z"]


def test_start_and_end_bound_the_entries(client, porch, read_key):
    body = feeds(client, porch, read_key, start="2026-11-20 10:01:00", end="2026-11-20 10:02:00").json()

    assert [f["field1"] for f in body["feeds"]] == ["21.0", "22.0"]


def test_start_is_read_in_the_timezone_and_times_are_shown_in_it(client, porch, read_key):
    body = feeds(
        client, porch, read_key, start="2026-11-20 02:04:00", timezone="America/Los_Angeles", results="1"
    ).json()

    assert body["feeds"][0]["created_at"] == "2026-11-20T02:10:00-08:00"


def test_days_and_minutes_count_back_from_now(client, porch, read_key):
    record_readings(device=porch, readings=[NewReading(1, 5.0)])  # stamped now

    assert [f["field1"] for f in feeds(client, porch, read_key, minutes="5").json()["feeds"]] == ["5.0"]
    assert len(feeds(client, porch, read_key, days="1").json()["feeds"]) == 1 + (
        7 if now() - T0 < timedelta(days=1) else 0
    )


def test_round_formats_values_to_the_decimals_asked(client, porch, read_key):
    body = feeds(client, porch, read_key, round="1", results="1").json()

    assert body["feeds"][0]["field1"] == "30.1"


@pytest.mark.parametrize(
    ("name", "step", "field1", "field2"),
    [
        ("average", "10", ["22.5", "30.125"], ["1002.5", None]),
        ("median", "10", ["22.5", "30.125"], ["1002.5", None]),
        ("sum", "10", ["135.0", "30.125"], ["6015.0", None]),
        ("timescale", "10", ["20.0", "30.125"], ["1000.0", None]),
        ("average", "daily", ["23.5892857143"], ["1002.5"]),  # 165.125 / 7, to 12 digits
    ],
)
def test_average_median_sum_and_timescale_reduce_each_step(
    client, porch, read_key, name, step, field1, field2
):
    body = feeds(client, porch, read_key, start="2026-11-20 00:00:00", **{name: step}).json()

    assert [f["field1"] for f in body["feeds"]] == field1
    assert [f["field2"] for f in body["feeds"]] == field2
    assert body["feeds"][0]["created_at"] in ("2026-11-20T10:00:00Z", "2026-11-20T00:00:00Z")


def test_daily_steps_follow_the_timezone(client, porch, read_key):
    body = feeds(
        client, porch, read_key, start="2026-11-19 00:00:00", average="daily", timezone="Asia/Tokyo"
    ).json()

    assert [f["created_at"] for f in body["feeds"]] == ["2026-11-20T00:00:00+09:00"]


def test_a_field_feed_has_only_that_field(client, porch, read_key):
    body = feeds(client, porch, read_key, path="fields/2.json").json()

    assert len(body["feeds"]) == 6
    assert set(body["feeds"][0]) == {"created_at", "entry_id", "field2"}


def test_last_entry_and_last_field_entry(client, porch, read_key):
    last = feeds(client, porch, read_key, path="feeds/last.json").json()
    last_pressure = feeds(client, porch, read_key, path="fields/2/last.json").json()
    last_text = feeds(client, porch, read_key, path="fields/1/last")

    assert (last["created_at"], last["field1"], last["field2"]) == ("2026-11-20T10:10:00Z", "30.125", None)
    assert (last_pressure["created_at"], last_pressure["field2"]) == ("2026-11-20T10:05:00Z", "1005.0")
    assert last_text.content == b"30.125"


def test_csv_forms_have_a_header_and_one_row_per_entry(client, porch, read_key):
    table = feeds(client, porch, read_key, path="feeds.csv", results="2").content.decode().splitlines()
    field = feeds(client, porch, read_key, path="fields/2.csv", results="1").content.decode().splitlines()
    last = feeds(client, porch, read_key, path="feeds/last.csv").content.decode().splitlines()
    last_field = feeds(client, porch, read_key, path="fields/1/last.csv").content.decode().splitlines()

    assert table[0] == "created_at,entry_id,field1,field2"
    assert table[1].startswith("2026-11-20T10:05:00Z,") and table[1].endswith(",25.0,1005.0")
    assert table[2].endswith(",30.125,")
    assert field[0] == "created_at,entry_id,field2" and field[1].endswith(",1005.0")
    assert len(last) == 2 and last[1].endswith(",30.125,")
    assert last_field[0] == "created_at,entry_id,field1" and last_field[1].endswith(",30.125")


def test_a_logged_in_person_reads_without_a_key(admin_client, porch):
    assert admin_client.get(f"/channels/{porch.pk}/feeds.json").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["feeds.json", "feeds.csv", "fields/1.json", "feeds/last.json", "fields/1/last.json", "fields/1/last"],
)
def test_without_read_access_every_read_answers_minus_1_with_400(client, porch, outside, inside, path):
    other_read_key = key_issue(device=inside.api_key.device, scope=READ).key
    revoked = key_issue(device=porch, scope=READ)
    key_revoke(api_key=revoked.api_key)

    for key in [None, "wrong-key", outside.key, other_read_key, revoked.key]:
        answer = client.get(f"/channels/{porch.pk}/{path}", {"api_key": key} if key else {})
        assert (answer.status_code, answer.content) == (400, b"-1"), key


def test_an_unknown_channel_answers_like_no_access(client, porch, read_key):
    answer = client.get(f"/channels/{porch.pk + 99}/feeds.json", {"api_key": read_key})

    assert (answer.status_code, answer.content) == (400, b"-1")


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"results": "many"}, "results must be a whole number from 0 to 8000"),
        ({"results": "-1"}, "results must be a whole number from 0 to 8000"),
        ({"days": "-1"}, "days must be a positive number"),
        ({"minutes": "x"}, "minutes must be a positive number"),
        ({"start": "last week"}, "start must be ISO 8601"),
        ({"start": "2026-11-21 00:00:00", "end": "2026-11-20 00:00:00"}, "start is after end"),
        ({"timezone": "Nowhere/Land"}, "timezone must be a zone name"),
        ({"round": "99"}, "round must be a whole number from 0 to 10"),
        ({"average": "7"}, "average must be one of"),
        ({"average": "10", "sum": "10"}, "use only one of average, median, sum and timescale"),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(client, porch, read_key, params, reason):
    answer = feeds(client, porch, read_key, **params)
    csv_answer = feeds(client, porch, read_key, path="feeds.csv", **params)

    assert answer.status_code == 400 and answer.json()["detail"].startswith(reason)
    assert csv_answer.status_code == 400 and csv_answer.content.decode().startswith(reason)


def test_a_field_outside_1_to_8_is_refused(client, porch, read_key):
    answer = feeds(client, porch, read_key, path="fields/9.json")

    assert answer.status_code == 400 and answer.json()["detail"] == "field must be from 1 to 8"


def test_last_of_an_empty_channel_answers_minus_1_with_404(client, inside):
    key = key_issue(device=inside.api_key.device, scope=READ).key
    answer = client.get(f"/channels/{inside.api_key.device.pk}/feeds/last.json", {"api_key": key})

    assert (answer.status_code, answer.content) == (404, b"-1")
