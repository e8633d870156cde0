"""Issue 17, point by point: each difference from ThingSpeak's documented answers, against this server."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from devices.models import PRESSURE, READ, Field
from devices.services import key_issue
from readings.models import EntryNote, Reading, Rollup
from readings.rules import NewReading
from readings.services import record_readings
from thingspeak_compat import feeds as feeds_module

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def porch(outside):
    device = outside.api_key.device
    Field.objects.create(device=device, number=2, label="Pressure", unit="hPa", kind=PRESSURE)
    return outside


@pytest.fixture
def read_key(porch) -> str:
    return key_issue(device=porch.api_key.device, scope=READ).key


def channel_of(issued) -> int:
    return issued.api_key.device.pk


def get(client, issued, key, path, **params):
    return client.get(f"/channels/{channel_of(issued)}/{path}", {"api_key": key, **params})


def store_minutes(device, start: datetime, count: int, value=lambda i: 20.0 + i % 10) -> None:
    """`count` entries a minute apart from `start`, field 1 only, in batches of 1,000."""
    rows = [NewReading(1, value(i), start + timedelta(minutes=i)) for i in range(count)]
    for at in range(0, count, 1000):
        record_readings(device=device, readings=rows[at : at + 1000])


# Keys: headers, key=, and what a read key may not do.


def test_the_arduino_header_carries_the_key_for_writes_and_reads(client, porch, read_key):
    written = client.post(
        "/update",
        "field1=21.50000&headers=false",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_THINGSPEAKAPIKEY=porch.key,
    )
    read = client.get(f"/channels/{channel_of(porch)}/fields/1/last", HTTP_X_THINGSPEAKAPIKEY=read_key)

    assert (written.status_code, read.status_code) == (200, 200)
    assert read.content == b"21.5"


def test_key_is_an_alias_of_api_key_on_writes(client, porch):
    answer = client.get("/update", {"key": porch.key, "field1": "20"})

    assert answer.status_code == 200 and Reading.objects.count() == 1


# One update is one entry.


def test_a_field_feed_shows_the_entry_id_update_answered(client, porch, read_key):
    entry_id = int(client.get("/update", {"api_key": porch.key, "field1": "19.6", "field2": "1001"}).content)

    field2 = get(client, porch, read_key, "fields/2.json").json()["feeds"]
    last2 = get(client, porch, read_key, "fields/2/last.json").json()

    assert [f["entry_id"] for f in field2] == [entry_id]
    assert last2["entry_id"] == entry_id


def test_an_update_at_a_taken_created_at_is_refused(client, porch):
    first = client.get(
        "/update", {"api_key": porch.key, "field1": "19", "created_at": "2026-11-20T10:00:00Z"}
    )
    same = client.get("/update", {"api_key": porch.key, "field1": "19", "created_at": "2026-11-20T10:00:00Z"})
    other = client.get(
        "/update", {"api_key": porch.key, "field1": "25", "created_at": "2026-11-20T10:00:00Z"}
    )
    more = client.get(
        "/update", {"api_key": porch.key, "field2": "999", "created_at": "2026-11-20T10:00:00Z"}
    )

    assert first.content == same.content != b"0"
    assert (other.status_code, other.content) == (409, b"0")
    assert other["X-Refusal-Reason"] == "the channel already holds an entry at that created_at"
    assert more.status_code == 409
    assert list(Reading.objects.values_list("field", "value")) == [(1, 19.0)]


# Status, latitude, longitude, elevation.


def test_status_and_location_are_stored_and_answered(client, porch, read_key):
    answer = client.post(
        "/update.json",
        {
            "api_key": porch.key,
            "field1": "4.5",
            "status": "Battery low",
            "lat": "42.36",
            "long": "-71.06",
            "elevation": "100",
        },
    )

    assert answer.status_code == 200
    assert answer.content.decode().startswith('{"channel_id":')
    body = answer.json()
    assert (body["status"], body["latitude"], body["longitude"], body["elevation"]) == (
        "Battery low",
        "42.36",
        "-71.06",
        "100.0",
    )
    note = EntryNote.objects.get()
    assert (note.status, note.latitude, note.longitude, note.elevation) == (
        "Battery low",
        42.36,
        -71.06,
        100.0,
    )
    assert note.first_reading_id == body["entry_id"] == Reading.objects.get().pk

    plain = get(client, porch, read_key, "feeds.json").json()["feeds"][0]
    full = get(client, porch, read_key, "feeds.json", status="true", location="true").json()["feeds"][0]
    assert "status" not in plain and "latitude" not in plain
    assert (full["status"], full["latitude"], full["longitude"], full["elevation"]) == (
        "Battery low",
        "42.36",
        "-71.06",
        "100.0",
    )


def test_the_station_url_writes_no_note(client, outside):
    device = outside.api_key.device
    client.get(f"/update/API_key={outside.key}/mac={device.mac}/field=1/data=21.5")
    client.get("/update", {"api_key": outside.key, "field1": "22"})

    assert Reading.objects.count() == 2 and EntryNote.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"status": "x" * 256}, "status must be at most 255 characters"),
        ({"lat": "91"}, "lat must be a number from -90 to 90"),
        ({"long": "east"}, "long must be a number from -180 to 180"),
        ({"elevation": "nan"}, "elevation must be a number"),
    ],
)
def test_bad_status_or_location_refuses_the_update(client, porch, params, reason):
    answer = client.get("/update", {"api_key": porch.key, "field1": "20", **params})

    assert (answer.status_code, answer.content) == (400, b"0")
    assert answer["X-Refusal-Reason"].startswith(reason)
    assert Reading.objects.count() == 0 and EntryNote.objects.count() == 0


def test_a_status_feed_lists_the_statuses(client, porch, read_key):
    client.get("/update", {"api_key": porch.key, "field1": "20", "status": "first"})
    client.get("/update", {"api_key": porch.key, "field1": "21"})
    client.get("/update", {"api_key": porch.key, "field1": "22", "status": "second"})

    body = get(client, porch, read_key, "status.json").json()

    assert [f["status"] for f in body["feeds"]] == ["first", "second"]


# Times.


def test_created_at_as_epoch_seconds_and_in_mysql_form(client, porch):
    client.get("/update", {"api_key": porch.key, "field1": "20", "created_at": "1795169400"})
    client.get("/update", {"api_key": porch.key, "field1": "21", "created_at": "2026-11-20 10:00:00"})

    assert list(Reading.objects.order_by("value").values_list("recorded_at", flat=True)) == [
        datetime.fromtimestamp(1795169400, tz=UTC),
        T0,
    ]


def test_offset_shows_times_in_that_many_hours(client, porch, read_key):
    record_readings(device=porch.api_key.device, readings=[NewReading(1, 20.0, T0)])

    body = get(client, porch, read_key, "feeds.json", offset="-5").json()

    assert body["feeds"][0]["created_at"] == "2026-11-20T05:00:00-05:00"


# results, days, start, end.


def test_a_range_without_results_gives_up_to_8000_entries(client, porch, read_key):
    store_minutes(porch.api_key.device, T0, 150)

    assert len(get(client, porch, read_key, "feeds.json").json()["feeds"]) == 100
    assert len(get(client, porch, read_key, "feeds.json", start="2026-11-20 00:00:00").json()["feeds"]) == 150
    assert len(get(client, porch, read_key, "feeds.json", results="9000").json()["feeds"]) == 150


def test_results_limits_the_raw_entries_a_sum_works_on(client, porch, read_key):
    store_minutes(porch.api_key.device, T0 - timedelta(hours=1), 180, value=lambda i: 1.0)

    body = get(client, porch, read_key, "feeds.json", results="120", sum="60").json()

    assert [(f["created_at"], f["field1"]) for f in body["feeds"]] == [
        ("2026-11-20T10:00:00Z", "60.0"),
        ("2026-11-20T11:00:00Z", "60.0"),
    ]
    assert "entry_id" not in body["feeds"][0]


def test_sums_print_without_float_noise(client, porch, read_key):
    device = porch.api_key.device
    for i, value in enumerate([205.9, 205.9, 205.9]):
        record_readings(
            device=device, readings=[NewReading(2, 1000 - value + 200, T0 + timedelta(minutes=i))]
        )
    record_readings(
        device=device, readings=[NewReading(1, 0.1, T0 + timedelta(minutes=i)) for i in range(3, 6)]
    )

    body = get(client, porch, read_key, "feeds.json", results="10", sum="60").json()

    assert body["feeds"][0]["field1"] == "0.3"  # 0.1 + 0.1 + 0.1 is 0.30000000000000004 in floats


def test_min_and_max_leave_out_entries_with_a_value_outside(client, porch, read_key):
    store_minutes(porch.api_key.device, T0, 10)  # 20.0 .. 29.0

    values = [
        f["field1"] for f in get(client, porch, read_key, "feeds.json", min="22", max="24.5").json()["feeds"]
    ]

    assert values == ["22.0", "23.0", "24.0"]


def test_metadata_adds_the_channels_metadata(client, porch, read_key):
    channel = get(client, porch, read_key, "feeds.json", metadata="true").json()["channel"]

    assert channel["metadata"] == ""


# Average and sum over a range come from the rollups, and agree with the raw readings.


@pytest.mark.parametrize("zone", ["", "Europe/Berlin", "Asia/Kolkata"])  # day, hour and 5-minute rollups
def test_average_and_sum_over_a_range_come_from_the_rollups_and_match_the_raw_values(
    client, porch, read_key, zone
):
    device = porch.api_key.device
    start = T0 - timedelta(hours=30)
    store_minutes(device, start, 30 * 60, value=lambda i: (i * 7) % 13 + 0.25)
    params = {"start": "2026-11-19 04:07:30", "end": "2026-11-20 09:52:10", "timezone": zone}

    for name in ("average", "sum"):
        for step in ("10", "60", "240", "daily"):
            from_rollups = get(client, porch, read_key, "feeds.json", **params, **{name: step}).json()[
                "feeds"
            ]
            query = feeds_module.parse_query({**params, name: step, "results": "8000"})
            raw = feeds_module.reduce_entries(
                feeds_module.group_entries(
                    Reading.objects.filter(
                        device=device, recorded_at__gte=query.start, recorded_at__lte=query.end
                    ).order_by("recorded_at")
                ),
                query,
            )
            expected = [
                (
                    feeds_module.format_time(e.created_at, query.zone),
                    feeds_module.format_value(e.values[1], None),
                )
                for e in raw
            ]
            assert [(f["created_at"], f["field1"]) for f in from_rollups] == expected, (name, step)


def test_average_over_years_reads_rollups_not_readings(
    client, porch, read_key, django_assert_max_num_queries
):
    device = porch.api_key.device
    store_minutes(device, T0, 30)
    # Ten years of daily buckets stand in for ten years of readings.
    Rollup.objects.bulk_create(
        Rollup(device=device, field=1, width=86400, bucket=day, low=1, high=3, total=2880, count=1440)
        for day in range(14000, 14000 + 3650)  # 2008 to 2017
    )

    with django_assert_max_num_queries(12):
        body = get(client, porch, read_key, "feeds.json", days="9000", average="daily").json()

    assert len(body["feeds"]) == 3650 + 1
    assert body["feeds"][0]["field1"] == "2.0"


def test_median_and_timescale_work_on_at_most_8000_entries(client, porch, read_key):
    store_minutes(porch.api_key.device, T0 - timedelta(days=7), 8100)

    body = get(client, porch, read_key, "feeds.json", days="30", median="daily").json()

    counted = (8000 - 1) // 1440 + 2  # 8000 minutes reach into this many days
    assert len(body["feeds"]) <= counted


# Routes ThingSpeak has.


def test_last_txt_answers_the_entry_as_json(client, porch, read_key):
    client.get("/update", {"api_key": porch.key, "field1": "20.5", "status": "ok", "lat": "1.5"})

    plain = get(client, porch, read_key, "feeds/last.txt")
    both = get(client, porch, read_key, "feeds/last.txt", status="true", location="true")
    bare = get(client, porch, read_key, "feeds/last")

    assert plain["Content-Type"].startswith("text/plain")
    entry = json.loads(plain.content)
    assert set(entry) == {"created_at", "entry_id", "field1", "field2"} and entry["field1"] == "20.5"
    assert '"status":"ok"' in both.content.decode() and '"latitude":"1.5"' in both.content.decode()
    assert '"longitude":null' in both.content.decode()
    assert json.loads(bare.content) == entry


def test_channel_entry_and_last_data_age(client, porch, read_key):
    entry_id = int(client.get("/update", {"api_key": porch.key, "field1": "20.5"}).content)

    channel = client.get(f"/channels/{channel_of(porch)}.json", {"api_key": read_key})
    one = get(client, porch, read_key, f"feeds/{entry_id}.json")
    missing = get(client, porch, read_key, f"feeds/{entry_id + 1}.json")
    age = get(client, porch, read_key, "fields/1/last_data_age.json")
    channel_age = get(client, porch, read_key, "feeds/last_data_age.json")
    field2_age = get(client, porch, read_key, "fields/2/last_data_age.json")

    assert channel.json()["id"] == channel_of(porch) and channel.json()["last_entry_id"] == entry_id
    assert (one.json()["entry_id"], one.json()["field1"]) == (entry_id, "20.5")
    assert (missing.status_code, missing.content) == (404, b"-1")
    assert age.json()["last_data_age_units"] == "s" and 0 <= int(age.json()["last_data_age"]) < 60
    assert 0 <= int(channel_age.json()["last_data_age"]) < 60
    assert (field2_age.status_code, field2_age.content) == (404, b"-1")  # field 2 never sent


@pytest.mark.parametrize("path", ["feeds.json/", "fields/1.json/", "feeds/last.json/", "fields/1/last/"])
def test_a_trailing_slash_is_the_same_read(client, porch, read_key, path):
    record_readings(device=porch.api_key.device, readings=[NewReading(1, 20.0, T0)])

    assert get(client, porch, read_key, path).status_code == 200


def test_bulk_update_csv(client, porch):
    body = (
        f"write_api_key={porch.key}&time_format=absolute&updates="
        "2026-11-20T10:00:00Z,20.5,1000,,,,,,,,,,|2026-11-20T10:01:00Z,21,,,,,,,,,,,"
    )
    answer = client.post(
        f"/channels/{channel_of(porch)}/bulk_update.csv",
        body,
        content_type="application/x-www-form-urlencoded",
    )

    assert (answer.status_code, answer.json()) == (202, {"success": True})
    assert list(
        Reading.objects.order_by("recorded_at", "field").values_list("recorded_at", "field", "value")
    ) == [
        (T0, 1, 20.5),
        (T0, 2, 1000.0),
        (T0 + timedelta(minutes=1), 1, 21.0),
    ]


# Public channels and CORS.


def test_a_public_channel_reads_without_a_key_a_private_one_does_not(client, porch):
    device = porch.api_key.device
    record_readings(device=device, readings=[NewReading(1, 20.0, T0)])

    assert client.get(f"/channels/{device.pk}/feeds.json").content == b"-1"
    device.is_public = True
    device.save()

    assert client.get(f"/channels/{device.pk}/feeds.json").json()["feeds"][0]["field1"] == "20.0"
    assert client.get(f"/channels/{device.pk}/fields/1/last", {"api_key": "wrong"}).content == b"20.0"
    # Public is for ThingSpeak's reads; the read API still wants a key or a login.
    assert client.get(f"/api/devices/{device.pk}/readings/").status_code in (401, 403, 404)


def test_reads_answer_any_origin_and_preflights(client, porch, read_key):
    record_readings(device=porch.api_key.device, readings=[NewReading(1, 20.0, T0)])

    answer = get(client, porch, read_key, "feeds.json", HTTP_ORIGIN="https://example.org")
    refused = client.get(f"/channels/{channel_of(porch)}/feeds.json", HTTP_ORIGIN="https://example.org")
    preflight = client.options(
        f"/channels/{channel_of(porch)}/feeds.json",
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-thingspeakapikey",
    )

    assert answer["Access-Control-Allow-Origin"] == "*"
    assert refused["Access-Control-Allow-Origin"] == "*" and refused.content == b"-1"
    assert preflight.status_code == 204
    assert "X-THINGSPEAKAPIKEY" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in answer


# CSV text cells cannot become spreadsheet formulas.


def test_csv_cells_that_would_be_formulas_are_quoted(client, porch, read_key):
    client.get("/update", {"api_key": porch.key, "field1": "-3.5", "status": '=HYPERLINK("http://x","y")'})

    text = get(client, porch, read_key, "feeds.csv", status="true").content.decode()

    header, row = text.splitlines()
    assert header == "created_at,entry_id,field1,field2,status"
    assert row.endswith(',-3.5,,"\'=HYPERLINK(""http://x"",""y"")"')


@pytest.mark.parametrize("value", ["=1+2", "+1+cmd|' /C calc'!A0", "@SUM(A1)", "-x", "\tx"])
def test_safe_cell_quotes_every_formula_start_but_keeps_numbers(value):
    assert feeds_module.safe_cell(value) == "'" + value
    assert feeds_module.safe_cell("-3.5") == "-3.5"
    assert feeds_module.safe_cell(None) == ""


def test_xml_forms_as_thingspeak_writes_them(client, porch, read_key):
    from xml.etree import ElementTree

    entry_id = int(client.get("/update", {"api_key": porch.key, "field1": "20.5"}).content)

    feed = ElementTree.fromstring(get(client, porch, read_key, "feeds.xml").content)
    last = ElementTree.fromstring(get(client, porch, read_key, "feeds/last.xml").content)
    channel = ElementTree.fromstring(
        client.get(f"/channels/{channel_of(porch)}.xml", {"api_key": read_key}).content
    )
    refused = client.get(f"/channels/{channel_of(porch)}/feeds.xml")

    assert feed.tag == "channel" and feed.find("id").attrib["type"] == "integer"
    assert feed.find("last-entry-id").text == str(entry_id)
    (only,) = feed.find("feeds").findall("feed")
    assert only.find("entry-id").text == str(entry_id) and only.find("field1").text == "20.5"
    assert only.find("field2").attrib == {"nil": "true"}
    assert only.find("created-at").attrib["type"] == "dateTime"
    assert last.tag == "feed" and last.find("field1").text == "20.5"
    assert channel.find("name").text == "Back porch"
    assert (refused.status_code, refused.content) == (400, b"-1")


def test_an_unencoded_plus_offset_in_a_form_created_at_is_still_an_offset(client, porch):
    """The Arduino library prints created_at into the form body as it is: "+01" arrives as " 01"."""
    answer = client.post(
        "/update",
        "field1=20.00000&created_at=2026-11-20 11:00:00+01&headers=false",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_THINGSPEAKAPIKEY=porch.key,
    )

    assert answer.status_code == 200
    assert Reading.objects.get().recorded_at == T0


@pytest.mark.parametrize(
    "path",
    [
        "/channels/{id}/feeds/last.txt",
        "/channels/{id}/feeds/last",
        "/channels/{id}/feeds.xml",
        "/channels/{id}/feeds/{entry}.json",
        "/channels/{id}.json",
        "/channels/{id}/status.json",
        "/channels/{id}/fields/1/last_data_age.json",
        "/channels/{id}/feeds/last_data_age.json",
    ],
)
def test_every_new_read_of_a_private_channel_without_a_valid_key_answers_minus_1(client, porch, path):
    entry = int(client.get("/update", {"api_key": porch.key, "field1": "20"}).content)
    url = path.format(id=channel_of(porch), entry=entry)

    for params in ({}, {"api_key": "wrong"}, {"api_key": porch.key}):
        answer = client.get(url, params)
        assert (answer.status_code, answer.content) == (400, b"-1"), params


def test_bulk_updates_keep_each_entrys_status_and_location(client, porch, read_key):
    body = {
        "write_api_key": porch.key,
        "updates": [
            {"created_at": "2026-11-20T10:00:00Z", "field1": 20, "status": "first", "latitude": 51.5},
            {"created_at": "2026-11-20T10:01:00Z", "field1": 21},
            {"created_at": "2026-11-20T10:02:00Z", "field1": 22, "longitude": "-0.12", "elevation": 35},
        ],
    }
    path = f"/channels/{channel_of(porch)}/bulk_update.json"
    for _ in range(2):  # sent twice: stored once, notes too
        answer = client.post(path, json.dumps(body), content_type="application/json")
        assert answer.status_code == 202

    found = get(client, porch, read_key, "feeds.json", status="true", location="true").json()["feeds"]

    assert [(f["field1"], f["status"], f["latitude"], f["longitude"], f["elevation"]) for f in found] == [
        ("20.0", "first", "51.5", None, None),
        ("21.0", None, None, None, None),
        ("22.0", None, None, "-0.12", "35.0"),
    ]
    assert EntryNote.objects.count() == 2


def test_bulk_csv_columns_after_the_fields_are_location_and_status(client, porch, read_key):
    body = (
        f"write_api_key={porch.key}&time_format=absolute&updates="
        '2026-11-20T10:00:00Z,20.5,,,,,,,,51.5,-0.12,35,"Door open, then shut"'
    )
    answer = client.post(
        f"/channels/{channel_of(porch)}/bulk_update.csv",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    refused = client.post(
        f"/channels/{channel_of(porch)}/bulk_update.csv",
        f"write_api_key={porch.key}&updates=2026-11-20T10:05:00Z,20.5,,,,,,,,91,,,",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status_code == 202
    note = EntryNote.objects.get()
    assert (note.status, note.latitude, note.longitude, note.elevation) == (
        "Door open, then shut",
        51.5,
        -0.12,
        35.0,
    )
    assert (
        refused.status_code == 400
        and refused.json()["detail"] == "updates.0: lat must be a number from -90 to 90"
    )
    assert Reading.objects.count() == 1


def test_writes_need_no_csrf_token(porch):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    channel = channel_of(porch)
    update = strict.post("/update", {"api_key": porch.key, "field1": "20"})
    bulk_json = strict.post(
        f"/channels/{channel}/bulk_update.json",
        json.dumps({"write_api_key": porch.key, "updates": [{"delta_t": 0, "field1": 21}]}),
        content_type="application/json",
    )
    bulk_csv = strict.post(
        f"/channels/{channel}/bulk_update.csv",
        f"write_api_key={porch.key}&updates=2026-11-20T10:00:00Z,22",
        content_type="application/x-www-form-urlencoded",
    )

    assert (update.status_code, bulk_json.status_code, bulk_csv.status_code) == (200, 202, 202)


def test_the_admin_has_the_public_switch_off_by_default(admin_client, porch):
    device = porch.api_key.device
    page = admin_client.get(f"/admin/devices/device/{device.pk}/change/").content.decode()

    switch = re.search(r'<input[^>]*name="is_public"[^>]*>', page).group(0)
    assert 'type="checkbox"' in switch and "checked" not in switch
    assert device.is_public is False


@pytest.mark.parametrize(
    "line",
    [
        "GET /update?key=SECRET&field1=2 HTTP/1.1",
        "GET /channels/1/feeds.json?results=2&key=SECRET HTTP/1.1",
        "GET /update?api_key=SECRET HTTP/1.1",
    ],
)
def test_thingspeaks_key_alias_is_kept_out_of_logs(line):
    from iotserver.redaction import redact

    assert "SECRET" not in redact(line) and "<redacted>" in redact(line)
    assert redact("GET /channels/1/feeds.json?monkey=1 HTTP/1.1").endswith("monkey=1 HTTP/1.1")


def test_every_json_answer_is_compact(client, porch, read_key):
    entry = client.get("/update.json", {"api_key": porch.key, "field1": "20.5", "status": "a: b, c"})
    texts = [entry.content.decode()] + [
        get(client, porch, read_key, path, status="true", location="true").content.decode()
        for path in ("feeds.json", "fields/1.json", "feeds/last.json", "fields/1/last.json", "status.json")
    ]
    texts.append(client.get(f"/channels/{channel_of(porch)}.json", {"api_key": read_key}).content.decode())

    for text in texts:
        assert '"field1":"20.5"' in text or '"status":"a: b, c"' in text or '"field1":"Temperature"' in text
        assert ": " not in text.replace("a: b, c", "") and ", " not in text.replace("a: b, c", ""), text


def test_importing_a_thingspeak_export_keeps_status_and_location(porch, read_key, client, tmp_path):
    from django.core.management import call_command

    export = tmp_path / "feeds.csv"
    export.write_text(
        "created_at,entry_id,field1,field2,latitude,longitude,elevation,status\n"
        "2026-11-20 10:00:00 UTC,1,warm,1013.2,51.5,-0.12,35,Door open\n"
        "2026-11-20 10:01:00 UTC,2,21.5,,,,,\n"
        "2026-11-20 10:02:00 UTC,3,21.75,,north,,,=cmd\n"
    )
    for _ in range(2):
        call_command("import_thingspeak_csv", str(export), "--device", "Back porch", stdout=io.StringIO())

    found = get(client, porch, read_key, "feeds.json", status="true", location="true").json()["feeds"]
    assert [(f["field1"], f["field2"], f["status"], f["latitude"], f["longitude"]) for f in found] == [
        (None, "1013.2", "Door open", "51.5", "-0.12"),
        ("21.5", None, None, None, None),
        ("21.75", None, "=cmd", None, None),
    ]
    assert EntryNote.objects.count() == 2
    csv_text = get(client, porch, read_key, "feeds.csv", status="true").content.decode()
    assert csv_text.splitlines()[-1].endswith(",'=cmd")
