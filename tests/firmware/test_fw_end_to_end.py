"""The firmware's own posting code against a live gunicorn: readings, an outage, the backlog, a retry."""

import time

import pytest
from rig import Rig
from uplink import Uplink
from urllib_requests import UrllibHttp

from tests.live import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.firmware]

MAC = "5c:cf:7f:01:02:03"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("firmware-e2e")) as live:
        yield live


@pytest.fixture
def board(server):
    """A station built from the firmware modules, registered on the server, posting over real HTTP."""
    output = server.manage("register_device", "--name", "Porch", "--mac", MAC, "--placement", "outside")
    key = output.strip().splitlines()[-1]
    # Booted an hour ago by the true clock, so that the slots below stay in the past.
    rig = Rig(unix=int(time.time()) - 3600)
    rig.http = UrllibHttp()
    rig.station.uplink = rig.uplink = Uplink(
        rig.http, server.url + "/update", key, MAC, timeout_s=10, log=rig.log
    )
    return rig


def slot(rig, celsius):
    rig.set_celsius(celsius)
    rig.station.step()
    rig.clock.advance(60000)


def stored(server):
    return server.query("SELECT value, stamped_by_device FROM readings_reading ORDER BY id")


def test_readings_and_a_backlog_after_an_outage_are_stored_exactly_once(server, board):
    for celsius in (20.0625, 20.125, 20.1875):
        slot(board, celsius)
    assert stored(server) == [(20.0625, False), (20.125, False), (20.1875, False)]

    board.http.down = True  # the server goes away for four minutes
    for celsius in (19.5, 19.25, -0.5, -3.0625):
        slot(board, celsius)
    assert len(stored(server)) == 3
    assert [value for _, value, _ in board.ram()] == [19.5, 19.25, -0.5, -3.0625]

    # Back up, but the answer to the backlog's batch is lost on the way: the board keeps it.
    board.http.down = False
    board.http.lose_batch_answers = 1
    slot(board, 18.0)
    assert len(board.backlog) == 4
    assert len(stored(server)) == 3 + 1 + 4  # the server has the batch all the same
    # The next slot sends the same stamped batch again; the server answers the ids it already has.
    slot(board, 17.5)
    slot(board, 17.0)

    assert len(board.backlog) == 0
    rows = stored(server)
    assert sorted(v for v, stamped in rows if stamped) == [-3.0625, -0.5, 19.25, 19.5]
    assert sorted(v for v, stamped in rows if not stamped) == [17.0, 17.5, 18.0, 20.0625, 20.125, 20.1875]
    batches = [call for call in board.http.calls if call[0] == "POST"]
    assert batches == [("POST", server.url + "/api/readings/")] * 2
    # each stamped reading once, a minute apart as the board took them
    stamps = server.query("SELECT COUNT(DISTINCT recorded_at) FROM readings_reading WHERE stamped_by_device")
    assert stamps == [(4,)]
