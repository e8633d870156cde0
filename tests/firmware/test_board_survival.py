"""The firmware survives what a real ESP8266 meets: on the board-like MicroPython at 34 KB of heap,
against a real gunicorn of this project over loopback, through WiFi loss, a server refusing,
hanging and failing, a day-long outage, a glitch reading and power cuts.

Counted in readings: the fake clock skips the waits between readings (work takes real time),
so a day of readings at one a minute runs in a few minutes.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest
from board_rig import Board, NtpServer, Proxy, interpreter

from tests.live import gunicorn_server

pytestmark = pytest.mark.firmware

MAC = "5c:cf:7f:0a:0b:0c"
GLITCH = 900
# (first reading, last reading, what goes wrong), inclusive; the rest is normal posting
SCHEDULE = [
    (21, 50, "wifi_down"),
    (61, 90, "refuse"),  # nothing listens
    (101, 130, "blackhole"),  # accepts, never answers
    (141, 170, "e500"),
    (171, 180, "lost"),  # stored, but the answer never reaches the board: it sends them again
    (181, 190, "e403"),  # a revoked key: kept, not dropped
    (191, 200, "e429"),  # with Retry-After: 600
    # 1,440 readings: a day at one a minute, refused connections; one of them a sensor glitch
    # (125 degC) that the server refuses inside the backlog's batch
    (211, GLITCH - 1, "outage"),
    (GLITCH, GLITCH, "outage+glitch"),
    (GLITCH + 1, 1650, "outage"),
]
TOTAL = 1730  # the last 80 are normal: the day's backlog is flushed meanwhile
FLUSH = range(1651, TOTAL + 1)
POWER_CUTS = 5
BACK_MS = 3 * 86400 * 1000  # the board's virtual time starts 3 days ago, so it never runs ahead
RUN_LIMIT_S = 540


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    interpreter()  # skip before starting a server for nothing
    with gunicorn_server(tmp_path_factory.mktemp("board-server")) as live:
        yield live


def register(server, name: str, mac: str) -> tuple[str, int]:
    output = server.manage("register_device", "--name", name, "--mac", mac, "--placement", "outside")
    key = output.strip().splitlines()[-1]
    ((device_id,),) = server.query(f"SELECT id FROM devices_device WHERE name = '{name}'")
    return key, device_id


def stored(server, device_id: int) -> list[tuple[float, datetime, bool]]:
    rows = server.query(
        f"SELECT value, recorded_at, stamped_by_device FROM readings_reading WHERE device_id = {device_id}"
    )
    out = []
    for value, at, stamped in rows:
        when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        out.append((value, when.replace(tzinfo=UTC) if when.tzinfo is None else when, bool(stamped)))
    return out


def board_config(key: str, proxy: Proxy, ntp: NtpServer, **extra) -> dict:
    return {
        "SSID": "home",
        "WIFI_PASSWORD": "secret",
        "SERVER_URL": f"http://127.0.0.1:{proxy.port}/update",  # as the original boards had it
        "API_KEY": key,
        "MAC_ADDRESS": MAC,  # extra may name another
        "NTP_HOST": f"127.0.0.1:{ntp.port}",
        "HTTP_TIMEOUT_S": 2,
        **extra,
    }


def test_a_day_of_outages_and_power_cuts_loses_and_doubles_nothing(server, tmp_path):
    began = time.monotonic()
    key, device_id = register(server, "Survivor", MAC)
    board = Board(tmp_path, {}, SCHEDULE, back_ms=BACK_MS)
    ntp = NtpServer(board)
    proxy = Proxy(board, int(server.url.rsplit(":", 1)[1]))
    board.write_config(board_config(key, proxy, ntp))
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    # Power cuts anywhere, at least 40 readings apart: a board cut twice before NTP answers again
    # has readings whose time nobody knows (they are sent unstamped, see firmware/README.md).
    cut_at = [0]
    while any(b - a < 40 for a, b in zip(cut_at, cut_at[1:], strict=False)) or len(cut_at) < POWER_CUTS:
        cut_at = sorted(rng.sample(range(2, TOTAL - 20), POWER_CUTS))
    in_progress: list[int] = []  # the reading being taken or sent when the power went
    resets = []
    try:
        board.start()
        while True:
            assert time.monotonic() - began < RUN_LIMIT_S, f"too slow; console:\n{board.console()[-3000:]}"
            count = board.count_taken()
            if count > TOTAL:
                break
            if cut_at and count >= cut_at[0]:
                cut_at.pop(0)
                time.sleep(rng.uniform(0, 0.05))  # at a random moment of the slot
                board.power_cut()
                in_progress.append(board.count_taken())
                board.start()
                continue
            if board.process.poll() is not None:
                cause = board.reset_cause()
                assert cause is not None, f"the interpreter ended; console:\n{board.console()[-3000:]}"
                resets.append(cause)
                board.start()
            time.sleep(0.002)
    finally:
        board.stop()
        proxy.close()
        ntp.close()

    console = board.console()
    events = board.events()
    assert "MemoryError" not in console
    assert resets == [], f"resets (1 = watchdog, 4 = machine.reset): {resets}\n{console[-3000:]}"
    assert not [e for e in events if e.startswith("reset")]

    everything = board.taken()
    taken = {n: (value, ms) for n, value, ms in everything if n <= TOTAL}
    assert sorted(taken) == list(range(1, TOTAL + 1))
    rows = stored(server, device_id)
    by_value: dict[float, list[datetime]] = {}
    for value, when, stamped in rows:
        assert stamped, "every reading is sent with its time"
        by_value.setdefault(value, []).append(when)
    assert taken[GLITCH][0] == 125.0
    assert 125.0 not in by_value, "the glitch reading is refused, alone"
    missing, late = [], []
    for n, (value, ms) in taken.items():
        if n == GLITCH:
            continue
        times = by_value.pop(value, [])
        if n in in_progress and not times:
            continue
        if len(times) != 1:
            missing.append((n, value, len(times)))
            continue
        off = abs(times[0].timestamp() * 1000 - ms)
        if off > 2000:
            late.append((n, off))
    assert missing == [], f"stored not exactly once (reading, value, times stored): {missing[:20]}"
    assert late == [], f"stored with a time more than 2 s off (reading, ms): {late[:20]}"
    for n, value, _ in everything:
        if n > TOTAL:  # taken while the test stopped the board
            by_value.pop(value, None)
    assert by_value == {}, "nothing stored that the sensor did not give"

    gaps = [int(e.split()[1]) for e in events if e.startswith("gap ")]
    heap = board.heap_marks()
    normal = max(v for n, v in heap.items() if n not in FLUSH)
    flush = max(v for n, v in heap.items() if n in FLUSH)
    assert [e for e in events if e == "flash wifi config"] == ["flash wifi config"], "one WiFi save, ever"
    print(
        f"\nsurvival (seed {seed}): {TOTAL} readings, {len(rows)} stored, power cuts after readings "
        f"{in_progress}, {board.boots} boots, {time.monotonic() - began:.0f} s"
        f"\n  heap high-water (live after GC, sampled at each watchdog feed, the fakes' share excluded): "
        f"per slot {normal} B, during the 24 h flush {flush} B, of {board.heap_available()} B it had"
        f"\n  longest gap between watchdog feeds: {max(gaps)} ms"
        f"\n  .mpy sizes: {board.mpy_sizes} = {sum(board.mpy_sizes.values())} B"
        f"\n  proxy: {proxy.requests}"
    )
    assert max(gaps) < 1000
    assert proxy.requests["e429"] <= 2, "Retry-After: 600 keeps the board away for ten readings"
    assert proxy.requests["lost"] >= 1, "an answer was lost: what the server had stored was sent again"
    # 30 readings, but the board backs off (a power cut in between starts the backoff over)
    assert proxy.requests["blackhole"] <= 15, "a server that never answers is not asked every minute"


def test_a_bmp280_station_through_an_outage_with_its_heap(server, tmp_path):
    """Two fields a reading and the BMP280's driver: the heavier station still fits and loses nothing."""
    mac = "5c:cf:7f:0a:0b:0d"
    key, device_id = register(server, "Barometer", mac)
    server.manage(
        "shell",
        "-c",
        "from devices.models import Device, Field; "
        f"Field.objects.create(device=Device.objects.get(id={device_id}), number=3, kind='pressure', "
        "label='Pressure', unit='hPa')",
    )
    total = 340
    board = Board(tmp_path, {}, [(11, 310, "outage")], back_ms=BACK_MS)
    ntp = NtpServer(board)
    proxy = Proxy(board, int(server.url.rsplit(":", 1)[1]))
    board.write_config(
        board_config(key, proxy, ntp, MAC_ADDRESS=mac, SENSOR="bmp280", TEMPERATURE_FIELD=1, PRESSURE_FIELD=3)
    )
    try:
        causes = board.run(readings=total + 1, limit_s=120)
    finally:
        proxy.close()
        ntp.close()
    assert causes == [] and "MemoryError" not in board.console()
    taken = [ms for n, _, ms in board.taken() if n <= total]
    rows = stored(server, device_id)
    for value in (25.08, 1006.53):
        times = sorted(when.timestamp() * 1000 for v, when, _ in rows if v == value)
        assert len(times) in (total, total + 1)  # and maybe the one taken as the test stopped
        assert all(abs(t - ms) < 2000 for t, ms in zip(times, taken, strict=False))
    peak, had = max(board.heap_marks().values()), board.heap_available()
    print(f"\nBMP280 station: {total} readings on two fields, heap high-water {peak} B of {had} B it had")
