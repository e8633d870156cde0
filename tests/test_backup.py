"""manage.py backup: a consistent SQLite copy taken while a live gunicorn keeps storing readings,
which restores as README says; on PostgreSQL it points to pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from iotserver.management.commands.backup import copy_sqlite
from tests.live import PROJECT, THROWAWAY_SECRET_KEY, gunicorn_server, request, suite_on_postgresql

pytestmark = pytest.mark.live

# Enough synthetic history that the copy takes a while (about 25 MB), and fast to generate.
HISTORY_ROWS = 200_000
MAC = "6c:ef:7a:3b:9d:e8"


class Board:
    """Posts readings one after another, as fast as the server answers, and keeps every answer."""

    def __init__(self, url: str, key: str):
        self.url, self.key = url, key
        self.acknowledged: list[tuple[int, float, float]] = []  # (id, value, when answered)
        self.refused: list[tuple[int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._post, daemon=True)

    def _post(self) -> None:
        number = 0
        while not self._stop.is_set():
            number += 1
            value = round(15 + number / 1000, 4)
            status, body = request(f"{self.url}/update/API_key={self.key}/mac={MAC}/field=1/data={value}")
            if status == 200:
                self.acknowledged.append((int(body), value, time.monotonic()))
            else:
                self.refused.append((status, body))

    def __enter__(self) -> Board:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} readings answered"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    if suite_on_postgresql():
        pytest.skip("backup copies SQLite only; on PostgreSQL it refuses (tested below) and pg_dump is used")
    folder = tmp_path_factory.mktemp("backup")
    with gunicorn_server(folder, workers=2) as live:
        live.manage("generate_readings", "--devices", "2", "--rows", str(HISTORY_ROWS))
        key = live.manage("register_device", "--name", "Porch", "--mac", MAC, "--placement", "outside")
        with Board(live.url, key.split()[-1]) as board:
            board.wait_for(20)
            before = list(board.acknowledged)  # answered before the backup started
            started = time.monotonic()
            output = live.manage("backup", str(folder / "backup.sqlite3"))
            finished = time.monotonic()
            # The copy itself, timed without the command's start-up: are writers held up meanwhile?
            copy_started = time.monotonic()
            copy_sqlite(live.database, folder / "timed.sqlite3")
            copy_finished = time.monotonic()
            board.wait_for(len(board.acknowledged) + 5)  # and the server still takes readings after
        during = [ack for ack in board.acknowledged if copy_started < ack[2] < copy_finished]
        yield {
            "live": live,
            "backup": folder / "backup.sqlite3",
            "before": before,
            "during": during,
            "refused": board.refused,
            "output": output,
            "seconds": finished - started,
            "copy_seconds": copy_finished - copy_started,
        }


def test_the_backup_is_whole_and_holds_every_reading_answered_before_it_started(backed_up):
    copy = sqlite3.connect(backed_up["backup"])
    stored = dict(
        copy.execute("SELECT id, value FROM readings_reading WHERE id >= ?", (backed_up["before"][0][0],))
    )
    history = copy.execute("SELECT COUNT(*) FROM readings_reading").fetchone()[0] - len(stored)

    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    assert {id_: stored.get(id_) for id_, _, _ in backed_up["before"]} == {
        id_: value for id_, value, _ in backed_up["before"]
    }
    assert history == HISTORY_ROWS
    assert backed_up["refused"] == []
    assert "quick_check ok" in backed_up["output"]
    copy.close()


def test_the_server_kept_storing_readings_while_the_backup_ran(backed_up):
    live = backed_up["live"]
    answered_during = {id_: value for id_, value, _ in backed_up["during"]}
    found = dict(
        live.query(
            f"SELECT id, value FROM readings_reading WHERE id IN ({','.join(map(str, answered_during)) or 0})"
        )
    )

    assert len(answered_during) >= 1, f"no reading answered during the {backed_up['copy_seconds']:.2f} s copy"
    assert found == answered_during


def test_a_restored_backup_serves_and_numbers_new_readings_after_its_own(backed_up, tmp_path):
    # README's restore: stop the server, copy the backup over the database, remove -wal and -shm, start.
    restored = tmp_path / "db.sqlite3"
    shutil.copyfile(backed_up["backup"], restored)
    newest = sqlite3.connect(restored).execute("SELECT MAX(id) FROM readings_reading").fetchone()[0]
    live = backed_up["live"]
    key = live.manage(
        "register_device", "--name", "Shed", "--mac", "6c:ef:7a:00:00:01", "--placement", "outside"
    )

    with gunicorn_server(tmp_path, workers=1, database_url=str(restored)) as server:
        # the Shed was registered after the backup: the restored server does not know its key
        unknown = server.get(f"/update/API_key={key.split()[-1]}/mac=6c:ef:7a:00:00:01/field=1/data=1")
        porch = server.manage(
            "register_device", "--name", "Porch 2", "--mac", "6c:ef:7a:00:00:02", "--placement", "outside"
        )
        status, body = server.get(
            f"/update/API_key={porch.split()[-1]}/mac=6c:ef:7a:00:00:02/field=1/data=18.5"
        )

    assert unknown[0] == 403
    assert status == 200 and int(body) > newest


def environment(database_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "iotserver.settings",
        "SECRET_KEY": THROWAWAY_SECRET_KEY,
        "DATABASE_URL": database_url,
    }


def backup(database_url: str, path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "backup", str(path)],
        cwd=PROJECT,
        env=environment(database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_on_postgresql_it_refuses_and_points_to_pg_dump(tmp_path):
    # No server is needed to refuse: the command looks only at the configured engine.
    done = backup("postgres://iotserver@127.0.0.1:5432/iotserver", tmp_path / "copy.sqlite3")

    assert done.returncode == 1
    assert "CommandError: backup copies SQLite databases; this server uses PostgreSQL" in done.stderr
    assert "pg_dump --format=custom (docs/deploy.md, Backups)" in done.stderr
    assert not (tmp_path / "copy.sqlite3").exists()


def test_it_never_writes_over_the_database_it_copies(tmp_path):
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE kept (value)")
        db.execute("INSERT INTO kept VALUES (21.5)")
    db.close()

    done = backup(f"sqlite:///{database}", database)

    assert done.returncode == 1
    assert "must not be written over the database it copies" in done.stderr
    assert sqlite3.connect(database).execute("SELECT value FROM kept").fetchall() == [(21.5,)]


def test_it_says_so_when_there_is_no_database(tmp_path):
    done = backup(f"sqlite:///{tmp_path / 'missing.sqlite3'}", tmp_path / "copy.sqlite3")

    assert done.returncode == 1
    assert "no SQLite database at" in done.stderr
    assert not (tmp_path / "missing.sqlite3").exists()  # not created by looking for it
