"""main.py and the boot: settings, never letting an exception end the station, the boot counter."""

import os
import types

import machine
import main
import pytest
import station
from fakeclock import FakeClock

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "firmware", "config.example.py")


class Dog:
    def __init__(self):
        self.feeds = 0
        self.held = False

    def feed(self):
        self.feeds += 1

    def progress(self):
        self.feeds += 1

    def hold(self):
        self.held = True


def test_resets_after_repeated_failures_and_feeds_the_watchdog_meanwhile():
    machine.reset_fakes()
    clock, dog, calls = FakeClock(), Dog(), []

    def start():
        calls.append(clock.now_ms)
        raise RuntimeError("boom")

    with pytest.raises(machine.ResetCalled):
        station.keep_running(start, machine.reset, clock, dog, max_failures=5, log=lambda m: None)
    assert len(calls) == 5 and machine.resets == 1
    assert calls[1] - calls[0] == station.RETRY_PAUSE_MS
    assert dog.feeds >= 4 * station.RETRY_PAUSE_MS // 1000


def test_failures_far_apart_are_not_a_streak():
    machine.reset_fakes()
    clock, calls = FakeClock(), []

    def start():
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        clock.advance(station.HEALTHY_MS + 1)  # ran fine for an hour, then crashed
        raise OSError(12)

    with pytest.raises(KeyboardInterrupt):
        station.keep_running(start, machine.reset, clock, Dog(), max_failures=3, log=lambda m: None)
    assert machine.resets == 0


def test_ctrl_c_keeps_the_watchdog_fed_for_the_repl():
    dog = Dog()

    def start():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        station.keep_running(start, machine.reset, FakeClock(), dog, log=lambda m: None)
    assert dog.held


def test_config_example_lists_every_setting():
    names = {}
    with open(EXAMPLE) as f:
        exec(f.read(), names)
    settings = {k for k in names if k.isupper()}
    assert settings == set(main.DEFAULTS) | set(main.REQUIRED)
    for name, default in main.DEFAULTS.items():
        assert names[name] == default, name  # the example shows the defaults


def test_missing_required_setting_is_named():
    cfg = types.ModuleType("config")
    cfg.SSID = "home"
    with pytest.raises(ValueError, match="API_KEY"):
        main.setting(cfg, "API_KEY")


def test_boots_are_counted_in_rtc_memory_and_a_deep_sleep_wake_is_not_a_boot():
    machine.reset_fakes()
    assert [station.boot_count(machine) for _ in range(3)] == [1, 2, 3]
    machine.cause = machine.DEEPSLEEP_RESET
    assert station.boot_count(machine) == 3
    station.boots_healthy(machine)
    machine.cause = machine.SOFT_RESET
    assert station.boot_count(machine) == 1
    machine.rtc_memory = b""  # a power cut
    assert station.boot_count(machine) == 1
