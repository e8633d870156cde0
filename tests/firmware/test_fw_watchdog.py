"""The watchdog: machine.WDT() as the ESP8266 takes it, fed by a timer only while the loop makes progress."""

import machine
import pytest
import watchdog
from fakeclock import FakeClock


def make(timeout_ms=90000, **kw):
    machine.reset_fakes()
    clock = FakeClock()
    return watchdog.Watchdog(machine, clock, timeout_ms, log=lambda m: None, **kw), clock


def test_the_esp8266_wdt_takes_no_timeout_but_5000():
    with pytest.raises(ValueError):
        machine.WDT(timeout=90000)
    dog, _ = make()
    assert dog.armed() and machine.WDT.instances[-1].timeout == 5000


def test_the_timer_feeds_the_chip_while_the_loop_makes_progress():
    dog, clock = make(timeout_ms=30000)
    (timer,) = machine.Timer.instances
    wdt = machine.WDT.instances[-1]
    assert timer.period == watchdog.FEED_MS and timer.period * 2 < 3200  # inside the soft-WDT window
    for _ in range(100):  # a 50 s wait, told every 10 s (a socket poll, a WiFi wait...)
        if clock.now_ms % 10000 == 0:
            dog.progress()
        clock.advance(watchdog.FEED_MS)
        before = wdt.feeds
        timer.fire()
        assert wdt.feeds == before + 1


def test_a_loop_stuck_past_the_timeout_is_no_longer_fed():
    dog, clock = make(timeout_ms=30000)
    (timer,) = machine.Timer.instances
    wdt = machine.WDT.instances[-1]
    dog.progress()
    clock.advance(29500)
    timer.fire()
    fed = wdt.feeds
    clock.advance(1000)  # 30.5 s without progress: stuck
    timer.fire()
    dog.feed()
    assert wdt.feeds == fed  # the chip resets 3.2 s later


def test_ctrl_c_keeps_feeding_for_the_repl():
    dog, clock = make(timeout_ms=30000)
    (timer,) = machine.Timer.instances
    wdt = machine.WDT.instances[-1]
    dog.hold()
    clock.advance(3600000)
    fed = wdt.feeds
    timer.fire()
    assert wdt.feeds == fed + 1


def test_safe_mode_makes_no_wdt():
    dog, _ = make(arm=False)
    assert not dog.armed() and machine.WDT.instances == [] and machine.Timer.instances == []
    dog.progress()  # harmless
