"""No reading lost under load, nor when a worker or the whole server is killed: gunicorn, 4 workers.

Each test sends station-URL GETs from 64 concurrent clients (tests/load.py) and then compares what
the server answered with what its database holds: every 2xx answer names a reading id, and that
id must be stored exactly once, with the value sent. How many readings: LOAD_READINGS (default
20,000), each test also stopping to send after a time budget (LOAD_SECONDS, default 30 s for the
plain load, a third of it with a worker killed) so that the three stay near two minutes even on a
busy 2-core machine; the summary line each prints says how many were sent. On SQLite the server
takes 50-130 readings a second here (every reading is an fsync'd commit), so 20,000 needs
LOAD_SECONDS=400. The rate limit is off (the live servers' default in tests/live.py): this measures the
write path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import ExitStack

import pytest

from tests import load, postgres
from tests.live import LiveServer, gunicorn_server, suite_on_postgresql

pytestmark = [pytest.mark.live, pytest.mark.load]

READINGS = int(os.environ.get("LOAD_READINGS", "20000"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))  # the plain load's time budget; faults take less
CLIENTS = 64
# Four threads a worker, not gunicorn.conf.py's sixteen: each thread keeps its own PostgreSQL
# connection, and two servers of 4 workers x 16 threads alive at once (the module's and a crash
# test's) would pass PostgreSQL's default max_connections (100) with the suite's own, and answer
# 500. docs/deploy.md gives the rule: app servers x WEB_CONCURRENCY x GUNICORN_THREADS < 100.
THREADS = {"GUNICORN_THREADS": "4"}
BOARDS = 8
REGISTER_BOARDS = f"""
from devices.services import device_register
for n in range({BOARDS}):
    issued = device_register(name=f"Board {{n}}", mac=f"6c:ef:7a:00:00:{{n:02x}}", placement="outside")
    print("KEY", issued.key)
"""


def register_boards(server: LiveServer) -> list[tuple[str, str]]:
    output = server.manage("shell", "-c", REGISTER_BOARDS)
    keys = [line.split()[1] for line in output.splitlines() if line.startswith("KEY ")]
    return [(key, f"6c:ef:7a:00:00:{n:02x}") for n, key in enumerate(keys)]


def value_of(index: int) -> float:
    return index / 1000  # distinct for every request, and a plausible temperature up to 70,000 readings


def station_paths(boards: list[tuple[str, str]], count: int) -> list[str]:
    paths = []
    for index in range(count):
        key, mac = boards[index % len(boards)]
        paths.append(f"/update/API_key={key}/mac={mac}/field=1/data={value_of(index)}")
    return paths


def stored_rows(server: LiveServer) -> dict[int, float]:
    return dict(server.query("SELECT id, value FROM readings_reading"))


def acknowledged(result: load.LoadResult) -> dict[int, float]:
    """Reading id -> value sent, for every 2xx answer; an id answered twice would be a lost reading."""
    ids = [int(answer.body) for answer in result.ok]
    assert len(ids) == len(set(ids)), "two readings answered with one id"
    return {int(answer.body): value_of(answer.index) for answer in result.ok}


def assert_every_acknowledged_reading_is_stored(result: load.LoadResult, stored: dict[int, float]) -> None:
    acked = acknowledged(result)
    missing = {id_: value for id_, value in acked.items() if stored.get(id_) != value}
    assert not missing, (
        f"{len(missing)} acknowledged readings missing or changed, e.g. {list(missing.items())[:5]}"
    )
    # Rows nobody was told about: only from requests whose answer was lost with a killed process.
    assert len(stored) - len(acked) <= len(result.unanswered)


def worker_pids(server: LiveServer) -> list[int]:
    # Children of this server's own gunicorn master, by its pid: nothing else on the machine.
    found = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def summary(name: str, server: LiveServer, result: load.LoadResult, stored: dict) -> str:
    line = (
        f"{name} on {server.vendor}: sent {len(result.answers)}, 2xx {len(result.ok)}, "
        f"5xx {len(result.server_errors)}, unanswered {len(result.unanswered)}, stored {len(stored)}, "
        f"lost 0, {len(result.answers) / result.seconds:.0f} readings/s"
    )
    print("\n" + line)
    return line


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("load"), workers=4, extra_env=THREADS) as live:
        yield live


@pytest.fixture(scope="module")
def boards(server):
    return register_boards(server)


def test_readings_from_64_clients_are_all_stored_once(server, boards):
    before = stored_rows(server)

    result = load.send(server.url, station_paths(boards, READINGS), concurrency=CLIENTS, seconds=SECONDS)

    stored = {id_: value for id_, value in stored_rows(server).items() if id_ not in before}
    summary("load", server, result, stored)
    assert result.server_errors == []
    assert result.unanswered == []
    assert len(result.ok) == len(result.answers) >= min(READINGS, 500)
    assert_every_acknowledged_reading_is_stored(result, stored)
    assert len(stored) == len(result.ok)  # and nothing stored that was not answered


def test_a_worker_killed_mid_load_loses_no_acknowledged_reading(server, boards):
    before = stored_rows(server)
    victim: list[int] = []

    def kill_a_worker(answered: int) -> None:
        if answered == 100 and not victim:
            victim.append(worker_pids(server)[0])
            os.kill(victim[0], signal.SIGKILL)

    result = load.send(
        server.url,
        station_paths(boards, READINGS),
        concurrency=CLIENTS,
        on_progress=kill_a_worker,
        seconds=SECONDS / 3,
    )

    assert victim and victim[0] not in worker_pids(server)  # it really died; gunicorn made another
    assert len(worker_pids(server)) == 4
    late = server.get(station_paths(boards, READINGS + 1)[-1])
    assert late[0] == 200
    stored = {
        id_: value for id_, value in stored_rows(server).items() if id_ not in before and id_ != int(late[1])
    }
    summary("worker killed", server, result, stored)
    assert result.server_errors == []
    assert len(result.ok) > 100
    assert_every_acknowledged_reading_is_stored(result, stored)


def integrity(server: LiveServer) -> str:
    if server.vendor == "sqlite":
        return server.query("PRAGMA integrity_check")[0][0]
    # PostgreSQL: the primary key's index agrees with the table, and every reading has its device.
    [(rows, distinct, orphans)] = server.query(
        "SELECT COUNT(*), COUNT(DISTINCT id), "
        "(SELECT COUNT(*) FROM readings_reading r LEFT JOIN devices_device d ON d.id = r.device_id "
        "WHERE d.id IS NULL) FROM readings_reading"
    )
    return (
        "ok"
        if rows == distinct and orphans == 0
        else f"rows {rows}, distinct ids {distinct}, orphans {orphans}"
    )


def test_the_whole_server_killed_mid_load_and_restarted_keeps_every_acknowledged_reading(tmp_path):
    with ExitStack() as cleanup:
        if suite_on_postgresql():
            database = cleanup.enter_context(postgres.fresh_database(postgres.probe(), "crash"))
        else:
            database = str(tmp_path / "crash.sqlite3")
        with gunicorn_server(tmp_path, workers=4, database_url=database, extra_env=THREADS) as server:
            boards = register_boards(server)

            def pull_the_plug(answered: int) -> str | None:
                if answered == 300:
                    for pid in [server.process.pid, *worker_pids(server)]:
                        os.kill(pid, signal.SIGKILL)
                if answered >= 300:
                    return load.STOP  # a few more in flight see the dead server; then stop
                return None

            result = load.send(
                server.url,
                station_paths(boards, READINGS),
                concurrency=CLIENTS,
                on_progress=pull_the_plug,
                timeout=10,
            )
            assert server.process.wait(timeout=10) == -signal.SIGKILL

        time.sleep(0.5)  # let the kernel reap the workers before a new server opens the database
        with gunicorn_server(tmp_path, workers=4, database_url=database, extra_env=THREADS) as again:
            assert integrity(again) == "ok"
            stored = stored_rows(again)
            after = again.get(station_paths(boards, 1)[0])
    summary("server killed and restarted", again, result, stored)
    assert after[0] == 200  # it takes readings again
    assert result.server_errors == []
    assert len(result.ok) >= 300
    assert_every_acknowledged_reading_is_stored(result, stored)


def test_workers_share_the_device_rate_limit(tmp_path):
    """Two workers count one board's requests together: exactly the limit gets in, the rest get 429."""
    with gunicorn_server(tmp_path, workers=2, extra_env={"DEVICE_RATE_LIMIT": "25/hour"}) as server:
        boards = register_boards(server)[:1]
        result = load.send(server.url, station_paths(boards, 60), concurrency=16)
        stored = stored_rows(server)
    assert len(result.ok) == 25
    assert len(result.with_status(lambda s: s == 429)) == 35
    assert "retry in" in result.with_status(lambda s: s == 429)[0].body
    assert_every_acknowledged_reading_is_stored(result, stored)
    assert len(stored) == 25


@pytest.fixture(autouse=True)
def _no_pgrep_no_test():
    if subprocess.run(["which", "pgrep"], capture_output=True).returncode != 0:
        pytest.fail("pgrep (procps) is needed to find gunicorn's workers")
