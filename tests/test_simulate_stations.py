"""simulate_stations against a real gunicorn: history in batches, live readings, keys for the run only."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devices.models import ApiKey
from tests.live import PROJECT, free_port, gunicorn_server

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("simulator")) as live:
        yield live


def per_device(server, where: str) -> dict[str, int]:
    rows = server.query(
        "SELECT d.name, COUNT(*) FROM readings_reading r JOIN devices_device d ON d.id = r.device_id "
        f"WHERE {where} GROUP BY d.name"
    )
    return dict(rows)


def test_it_backfills_a_day_then_posts_live_readings_of_both_stations(server):
    started = time.monotonic()
    output = server.manage(
        "simulate_stations", "--url", server.url, "--count", "3", "--interval", "0.1", "--backfill-days", "1"
    )
    took = time.monotonic() - started

    stamped = per_device(server, "r.stamped_by_device")
    live = per_device(server, "NOT r.stamped_by_device")
    assert stamped == {"Simulated outside": 1440, "Simulated inside": 1440}  # one a minute
    assert live == {"Simulated outside": 3, "Simulated inside": 3}
    fields = dict(
        server.query(
            "SELECT d.name, r.field FROM readings_reading r JOIN devices_device d ON d.id = r.device_id "
            "GROUP BY d.name, r.field"
        )
    )
    assert fields == {"Simulated outside": 1, "Simulated inside": 2}  # as the original boards
    ranges = dict(
        (name, (low, high))
        for name, low, high in server.query(
            "SELECT d.name, MIN(r.value), MAX(r.value) FROM readings_reading r "
            "JOIN devices_device d ON d.id = r.device_id WHERE r.stamped_by_device GROUP BY d.name"
        )
    )
    outside_swing = ranges["Simulated outside"][1] - ranges["Simulated outside"][0]
    inside_swing = ranges["Simulated inside"][1] - ranges["Simulated inside"][0]
    assert 10 < outside_swing < 15 and 2 < inside_swing < 6  # the house damps the day
    assert "Backfilled 1440 readings of Simulated outside" in output
    assert output.count("Simulated outside") >= 3
    # the keys were for this run: none is left able to post
    assert server.query("SELECT COUNT(*) FROM devices_apikey WHERE revoked_at IS NULL")[0][0] == 0
    print(f"simulate_stations: 2 x 1440 backfilled + 6 live readings in {took:.1f} s")


def test_a_second_run_reuses_the_demo_devices_and_stores_no_history_twice(server):
    before = server.query("SELECT COUNT(*) FROM readings_reading WHERE stamped_by_device")[0][0]

    server.manage("simulate_stations", "--url", server.url, "--count", "1", "--backfill-days", "1")

    assert server.query("SELECT COUNT(*) FROM devices_device")[0][0] == 2
    after = server.query("SELECT COUNT(*) FROM readings_reading WHERE stamped_by_device")[0][0]
    assert after - before <= 2  # at most the minute that passed since, per station


def test_named_devices_need_to_exist(server):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        server.manage("simulate_stations", "--url", server.url, "--devices", "Attic", "--count", "1")

    assert "no device named 'Attic'" in failed.value.stderr


@pytest.mark.django_db
def test_with_no_server_it_says_so_and_leaves_no_key_behind():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    out = StringIO()

    call_command("simulate_stations", "--url", url, "--count", "2", "--interval", "0", stdout=out)
    with pytest.raises(CommandError, match=f"no server at {url}"):
        call_command("simulate_stations", "--url", url, "--backfill-days", "1", stdout=StringIO())

    live_lines = [line for line in out.getvalue().splitlines() if "server not answering" in line]
    assert len(live_lines) == 2  # a round each, carrying on as a board would
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 0
    assert ApiKey.objects.filter(device__name__startswith="Simulated").count() == 2 + 2 + 2


def test_stopped_with_sigterm_it_revokes_its_keys(server):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "simulate_stations", "--url", server.url, "--interval", "0.2"],
        cwd=PROJECT,
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    unrevoked = "SELECT COUNT(*) FROM devices_apikey WHERE revoked_at IS NULL"
    deadline = time.monotonic() + 30
    while server.query(unrevoked)[0][0] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for the run to issue its keys: a real process, a real clock
    assert server.query(unrevoked)[0][0] == 2

    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)

    assert server.query(unrevoked)[0][0] == 0


def test_remove_deletes_the_demo_devices_and_their_readings(server):
    output = server.manage("simulate_stations", "--remove")

    assert "Removed 'Simulated outside' and its" in output
    assert server.query("SELECT COUNT(*) FROM devices_device")[0][0] == 0
    assert server.query("SELECT COUNT(*) FROM readings_reading")[0][0] == 0
    assert "nothing to remove" in server.manage("simulate_stations", "--remove")
