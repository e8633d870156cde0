"""main.py: never lets an exception end the station, resets after repeated failures."""

import os
import sys
import types

import machine
import main
import network
import ntptime
import pytest
import rig
import urequests
from fakeclock import FakeClock

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "firmware", "config.example.py")


class Dog:
    def __init__(self):
        self.feeds = 0
        self.stopped = False

    def feed(self):
        self.feeds += 1

    def stop(self):
        self.stopped = True


def test_resets_after_repeated_failures_and_feeds_the_watchdog_meanwhile():
    machine.reset_fakes()
    clock, dog, calls = FakeClock(), Dog(), []

    def start():
        calls.append(clock.now_ms)
        raise RuntimeError("boom")

    with pytest.raises(machine.ResetCalled):
        main.keep_running(start, machine.reset, clock, dog, max_failures=5, log=lambda m: None)
    assert len(calls) == 5 and machine.resets == 1
    assert calls[1] - calls[0] == main.RETRY_PAUSE_MS
    assert dog.feeds >= 4 * main.RETRY_PAUSE_MS // 1000


def test_failures_far_apart_are_not_a_streak():
    machine.reset_fakes()
    clock, calls = FakeClock(), []

    def start():
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        clock.advance(main.HEALTHY_MS + 1)  # ran fine for an hour, then crashed
        raise OSError(12)

    with pytest.raises(KeyboardInterrupt):
        main.keep_running(start, machine.reset, clock, Dog(), max_failures=3, log=lambda m: None)
    assert machine.resets == 0


def test_ctrl_c_stops_the_watchdog_guard_and_reaches_the_repl():
    dog = Dog()

    def start():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        main.keep_running(start, machine.reset, FakeClock(), dog, log=lambda m: None)
    assert dog.stopped


def test_config_example_lists_every_setting():
    names = {}
    with open(EXAMPLE) as f:
        exec(f.read(), names)
    settings = {k for k in names if k.isupper()}
    assert settings == set(main.DEFAULTS) | set(main.REQUIRED)
    for name, default in main.DEFAULTS.items():
        assert names[name] == default, name  # the example shows the defaults


def make_config(tmp_path, **overrides):
    cfg = types.ModuleType("config")
    cfg.SSID, cfg.WIFI_PASSWORD = "home", "secret"
    cfg.SERVER_URL, cfg.API_KEY = rig.SERVER, rig.KEY
    cfg.BACKLOG_FILE = str(tmp_path / "backlog")
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


@pytest.fixture
def board(monkeypatch):
    """The fake modules main() imports, as on a freshly booted board."""
    machine.reset_fakes()
    network.reset()
    clock = FakeClock()
    ntptime.reset(clock)
    urequests.http = urequests.FakeHttp(clock=clock)
    monkeypatch.setitem(sys.modules, "utime", clock)
    machine.devices[0x18] = machine.RegisterDevice({5: rig.mcp_register(23.25)})
    return clock


def test_main_runs_the_configured_station_with_the_boards_own_mac(board, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "config", make_config(tmp_path))
    http = urequests.http
    http.responder = lambda call: 200 if len(http.calls) < 3 else KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        main.main()
    assert [c.url for c in http.calls[:2]] == [
        rig.SERVER + "/update/API_key=KEY123/mac=5c:cf:7f:01:02:03/field=1/data=23.25"
    ] * 2
    assert http.calls[1].url and board.now_ms >= 60000
    assert not network.WLAN(network.AP_IF).active()  # the board's own AP is switched off
    assert machine.Timer.instances[0].callback is None  # guard stopped for the REPL


def test_main_resets_when_the_config_is_broken(board, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "config", make_config(tmp_path, SENSOR="dht22"))
    with pytest.raises(machine.ResetCalled):
        main.main()
    out = capsys.readouterr().out
    assert "SENSOR must be" in out
    assert out.count("station crashed") == 5
    assert urequests.http.calls == []


def test_main_without_config_says_what_to_do(board, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "config", None)  # import config -> ImportError
    with pytest.raises(machine.ResetCalled):
        main.main()
    assert "copy config.example.py to config.py" in capsys.readouterr().out


def test_build_station_for_bmp280_with_fixed_mac(board, tmp_path):
    machine.devices[0x76] = machine.MemoryDevice(rig.bmp_memory())
    cfg = make_config(
        tmp_path,
        SENSOR="bmp280",
        BMP280_ADDRESS=0x76,
        MAC_ADDRESS="6c:ef:7f:3b:9d:e8",
        TEMPERATURE_FIELD=2,
        PRESSURE_FIELD=3,
        BACKLOG_FILE=None,
    )
    station = main.build_station(
        cfg, machine, network, urequests.http, ntptime, os, board, Dog(), log=lambda m: None
    )
    station.step()
    assert [c.url.split("/update/")[1] for c in urequests.http.calls] == [
        "API_key=KEY123/mac=6c:ef:7f:3b:9d:e8/field=2/data=25.08",
        "API_key=KEY123/mac=6c:ef:7f:3b:9d:e8/field=3/data=1006.53",
    ]


def test_missing_required_setting_is_named(tmp_path):
    cfg = make_config(tmp_path)
    del cfg.API_KEY
    with pytest.raises(ValueError, match="API_KEY"):
        main.setting(cfg, "API_KEY")
