"""Core firmware paths, run on the real MicroPython interpreter by run_micropython.mjs.

Prints "PASS <name>" or "FAIL <name>: <why>" per check, then "DONE <count>";
test_on_micropython.py asserts on those lines.
"""

import json
import os
import sys

import machine
import ntptime
import rig
from fakeclock import FakeClock

MINUTE = 60000
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def step(r, celsius=None):
    if celsius is not None:
        r.set_celsius(celsius)
    result = r.station.step()
    r.clock.now_ms = (r.clock.now_ms // MINUTE + 1) * MINUTE
    return result


def posted(r):
    out = []
    for call in r.posts():
        out.extend(json.loads(call.data)["readings"])
    return out


@check
def imports():
    import backlog, bmp280, config, led, main, mcp9808, station, uplink, wallclock, watchdog, wifi  # noqa

    expect(config.INTERVAL_S == 60 and config.SENSOR == "mcp9808", "config.example.py values")


@check
def mcp9808_maths():
    import mcp9808

    expect(mcp9808.decode(0x01, 0x58) == 21.5, "positive")
    expect(mcp9808.decode(0x00, 0x00) == 0.0, "zero")
    expect(mcp9808.decode(0x1F, 0xFF) == -0.0625, "negative")
    expect(mcp9808.decode(0x1E, 0x80) == -24.0, "negative")
    b = rig.mcp_register(-24.0, 0b111)
    expect(mcp9808.decode(b[0], b[1]) == -24.0, "alert flags ignored")
    b = rig.mcp_register(21.5, 0b101)
    expect(mcp9808.decode(b[0], b[1]) == 21.5, "alert flags ignored")


@check
def bmp280_datasheet():
    import bmp280

    cal = list(rig.BMP_CAL)
    t, t_fine = bmp280.compensate_t(rig.BMP_ADC_T, cal)
    expect((t, t_fine) == (2508, 128422), f"temperature {(t, t_fine)!r}")
    pa = bmp280.compensate_p(rig.BMP_ADC_P, t_fine, cal) / 256
    expect(abs(pa - 100653.27) < 0.1, f"pressure {pa!r}")
    r = rig.Rig(sensor="bmp280")
    expect(r.sensor.read() == [("temperature", 25.08), ("pressure", 1006.53)], "driver read")


@check
def url():
    r = rig.Rig()
    step(r, 21.5625)
    expect(
        r.gets()
        == ["http://192.168.1.10:8000/update/API_key=KEY123/mac=aa:bb:cc:dd:ee:ff/field=1/data=21.5625"],
        f"url {r.gets()!r}",
    )


@check
def buffer_and_flush_order():
    r = rig.Rig()
    r.http.responder = lambda call: 500 if r.clock.now_ms < 3 * MINUTE else 201
    boot = r.clock.true_unix()
    for c in (20.0, 20.5, 21.0):
        step(r, c)
    expect([x[1] for x in r.ram()] == [20.0, 20.5, 21.0], "kept while down")
    step(r, 21.5)
    got = [(p["data"], p["recorded_at"]) for p in posted(r)]
    expect(got == [(20.0, boot), (20.5, boot + 60), (21.0, boot + 120)], f"flush order {got!r}")
    expect(len(r.backlog) == 0 and r.http.all_closed(), "emptied, closed")


@check
def refused_and_rate_limited():
    r = rig.Rig()
    r.http.script = [403, 429]
    step(r, 1.0)
    step(r, 2.0)
    expect([x[1] for x in r.ram()] == [2.0], "403 dropped, 429 kept")


@check
def buffer_cap():
    r = rig.Rig(capacity=5)
    r.http.default = 500
    for i in range(8):
        step(r, float(i))
    expect([x[1] for x in r.ram()] == [3.0, 4.0, 5.0, 6.0, 7.0], "oldest dropped")
    expect(r.backlog.dropped == 3, "dropped count")


@check
def flash_spill_cap():
    import backlog

    prefix = "/data/backlog"
    spill = backlog.FlashSpill(os, prefix, 600, 3, log=lambda m: None)
    b = backlog.Backlog(6, spill, log=lambda m: None)
    for i in range(200):
        b.add(1, float(i), 1795237200 + i, i)
        size = 0
        for name in os.listdir("/data"):
            size += os.stat("/data/" + name)[6]
        expect(size <= 600, f"flash cap exceeded: {size}")
    expect(len(b) + b.dropped == 200, "kept + dropped")
    kept = []
    while len(b):
        kept.extend([x[1] for x in b.peek(20)])
        b.remove()
    expect(kept == [float(i) for i in range(200 - len(kept), 200)], "order after spill")


@check
def loop_cadence_and_watchdog():
    r = rig.Rig(latency_ms=1500)
    reads = []
    real = r.sensor.read

    def read():
        reads.append(r.clock.now_ms)
        return real()

    r.sensor.read = read
    r.station.run(5)
    expect(reads == [0, MINUTE, 2 * MINUTE, 3 * MINUTE, 4 * MINUTE], f"cadence {reads!r}")
    expect(r.wdt.feeds >= 5 * 55, f"watchdog feeds {r.wdt.feeds}")
    expect(len(r.gets()) == 5 and r.http.all_closed(), "one GET per slot")


@check
def wifi_loss_and_return():
    r = rig.Rig()
    step(r, 1.0)
    r.wlan.lose()
    step(r, 2.0)
    step(r, 3.0)
    expect(len(r.http.calls) == 1 and len(r.backlog) == 2, "kept while offline")
    r.wlan.restore()
    step(r, 4.0)
    expect([p["data"] for p in posted(r)] == [2.0, 3.0], "flushed after return")


@check
def main_resets_after_failures():
    import main

    machine.reset_fakes()
    calls = []

    def start():
        calls.append(1)
        raise OSError(5)

    try:
        main.keep_running(start, machine.reset, FakeClock(), None, 5, log=lambda m: None)
        raise AssertionError("no reset")
    except machine.ResetCalled:
        pass
    expect(len(calls) == 5 and machine.resets == 1, "reset after 5")


@check
def ntp_epoch():
    r = rig.Rig()
    expect(r.clock.gmtime(0)[0] == 2000, "board epoch")
    step(r)
    expect(r.wallclock.unix_now() == r.clock.true_unix(), "unix time after NTP")


def run():
    passed = 0
    for fn in CHECKS:
        name = fn.__name__
        try:
            fn()
            print("PASS " + name)
            passed += 1
        except Exception as e:
            print(f"FAIL {name}: {e!r}")
            sys.print_exception(e)
        ntptime.reset()
    print(f"DONE {passed}/{len(CHECKS)}")
