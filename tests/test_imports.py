"""Imports of a ThingSpeak channel export and the Flask server's SQLite file: safe to re-run."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devices.models import PRESSURE, Field
from readings.models import Reading

THINGSPEAK_EXPORT = """created_at,entry_id,field1,field2,latitude,longitude,elevation,status
2018-07-31 20:37:01 UTC,1,21.5625,1013.2,,,,
2018-07-31T20:38:01+00:00,2,21.625,,,,,
2018-07-31 13:39:01 -0700,3,,1013.4,,,,
2018-07-31 20:40:01 UTC,4,warm,,,,,
not a time,5,21,,,,,
2018-07-31 20:41:01 UTC,6,500,,,,,
2018-07-31 20:42:01 UTC,7,,,,,,
"""


def run(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


@pytest.fixture
def porch(outside):
    device = outside.api_key.device
    Field.objects.create(device=device, number=2, label="Pressure", unit="hPa", kind=PRESSURE)
    return device


def stored(device):
    return list(
        Reading.objects.filter(device=device)
        .order_by("recorded_at", "field")
        .values_list("recorded_at", "field", "value", "stamped_by_device")
    )


def test_a_thingspeak_export_is_imported_and_a_second_run_stores_nothing(porch, tmp_path):
    export = tmp_path / "feeds.csv"
    export.write_text(THINGSPEAK_EXPORT)

    first = run("import_thingspeak_csv", str(export), "--device", "Back porch")
    again = run("import_thingspeak_csv", str(export), "--device", "Back porch")

    at = lambda minute: datetime(2018, 7, 31, 20, minute, 1, tzinfo=UTC)  # noqa: E731
    assert stored(porch) == [
        (at(37), 1, 21.5625, True),
        (at(37), 2, 1013.2, True),
        (at(38), 1, 21.625, True),
        (at(39), 2, 1013.4, True),
    ]
    assert first == [
        "stored 4 new readings, 0 were stored already",
        "skipped 1: field1 is not a number; at line 5 (entry 4)",
        "skipped 1: created_at is not a time; at line 6 (entry 5)",
        "skipped 1: value not plausible for the field's kind (allowed -90 to 70); at line 7 (entry 6)",
        "skipped 1: no value in field1..field8; at line 8 (entry 7)",
    ]
    assert again[0] == "stored 0 new readings, 4 were stored already"
    assert len(stored(porch)) == 4
    # A station quiet since 2018 stays quiet: last_seen is its newest reading's time, not the import's.
    porch.refresh_from_db()
    assert porch.last_seen == at(39)


def test_readings_on_fields_the_device_lacks_are_skipped_with_the_reason(outside, tmp_path):
    export = tmp_path / "feeds.csv"
    export.write_text("created_at,entry_id,field1,field3\n2024-01-01 00:00:00 UTC,1,5,7\n")

    lines = run("import_thingspeak_csv", str(export), "--device", "Back porch")

    assert lines == [
        "stored 1 new readings, 0 were stored already",
        "skipped 1: field 3 is not set up for this device; add it in the admin; at line 2 (entry 1)",
    ]


def test_thingspeak_import_refuses_an_unknown_device_or_a_file_that_is_not_an_export(outside, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")

    with pytest.raises(CommandError, match="no device named 'Attic'"):
        run("import_thingspeak_csv", str(wrong), "--device", "Attic")
    with pytest.raises(CommandError, match="no created_at column"):
        run("import_thingspeak_csv", str(wrong), "--device", "Back porch")
    assert Reading.objects.count() == 0


def flask_db(path, rows):
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE data (Id INTEGER PRIMARY KEY AUTOINCREMENT, API_key text, date_time text, "
            "mac text, field integer, data real)"
        )
        db.executemany(
            "INSERT INTO data (API_key, date_time, mac, field, data) VALUES ('k', ?, 'm', ?, ?)", rows
        )
    return path


def test_the_flask_database_is_imported_with_naive_early_rows_in_pacific_time(outside, inside, tmp_path):
    path = flask_db(
        tmp_path / "data.db",
        [
            ("2018-07-20T13:05:00.123456", 1, 30.5),  # early row: naive Pacific daylight time
            ("2018-07-31T20:37:01.560786+00:00", 1, 21.5625),
            ("2018-07-31T20:37:02.000001+00:00", 2, 24.25),
            ("2018-07-31T20:38:00+00:00", 3, 20.0),
            ("2018-07-31T20:39:00+00:00", 2, "oops"),
        ],
    )
    args = ("import_flask_db", str(path), "--field", "1=Back porch", "--field", "2=Living room")

    first = run(*args)
    again = run(*args)

    porch, room = outside.api_key.device, inside.api_key.device
    assert stored(porch) == [
        (datetime(2018, 7, 20, 20, 5, 0, 123456, tzinfo=UTC), 1, 30.5, True),
        (datetime(2018, 7, 31, 20, 37, 1, 560786, tzinfo=UTC), 1, 21.5625, True),
    ]
    assert stored(room) == [(datetime(2018, 7, 31, 20, 37, 2, 1, tzinfo=UTC), 2, 24.25, True)]
    assert first == [
        "stored 3 new readings, 0 were stored already",
        "skipped 1: field 3 is not mapped to a device (use --field 3=DEVICE); at Id 4",
        "skipped 1: data is not a number; at Id 5",
    ]
    assert again[0] == "stored 0 new readings, 3 were stored already"


def test_a_flask_field_can_go_to_another_field_number(outside, tmp_path):
    path = flask_db(tmp_path / "data.db", [("2024-07-31T20:37:01+00:00", 2, 19.0)])

    run("import_flask_db", str(path), "--field", "2=Back porch:1")

    assert stored(outside.api_key.device)[0][1:3] == (1, 19.0)


def test_flask_import_refusals(outside, tmp_path):
    not_flask = tmp_path / "other.db"
    sqlite3.connect(not_flask).execute("CREATE TABLE other (x)").connection.close()

    with pytest.raises(CommandError, match="not the Flask server's database"):
        run("import_flask_db", str(not_flask), "--field", "1=Back porch")
    with pytest.raises(CommandError, match="no device named 'Attic'"):
        run("import_flask_db", str(not_flask), "--field", "1=Attic")
    with pytest.raises(CommandError, match="--field takes N=DEVICE"):
        run("import_flask_db", str(not_flask), "--field", "porch")
    with pytest.raises(CommandError, match="must be a zone name"):
        run("import_flask_db", str(not_flask), "--field", "1=Back porch", "--naive-zone", "Mars/Base")


def test_an_import_takes_history_older_than_readings_earliest_but_not_an_unset_clock(outside, tmp_path):
    path = flask_db(
        tmp_path / "data.db", [("2018-08-01T00:00:00+00:00", 1, 20.0), ("2000-01-01T00:00:05+00:00", 1, 20.0)]
    )

    lines = run("import_flask_db", str(path), "--field", "1=Back porch")

    assert lines == [
        "stored 1 new readings, 0 were stored already",
        "skipped 1: recorded_at is before 2010-01-01; is the board's clock set?; at Id 2",
    ]
