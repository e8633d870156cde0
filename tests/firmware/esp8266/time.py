"""Fake `time`: real ticks, except that sleeping takes no real time (virtual time jumps ahead).

Work (HTTP, files) takes real time as on the board; waiting between readings
does not, so a day of readings runs in minutes. The total skipped is written
to $BOARD_STATE/skip, from which the test's NTP server tells the true time.
"""

import sys

import utime as _t

import board

PERIOD = 1 << 30
_real0 = _t.ticks_ms()
_ticks0 = int(board.read("ticks_start", "0") or 0)   # to start near the wrap
_skip = 0            # skipped in this boot
_total = int((board.read("skip", "0") or "0").strip() or 0)
_file = open(board.path("skip"), "w")
_file.write("%015d\n" % _total)


def ticks_ms():
    return (_ticks0 + _t.ticks_diff(_t.ticks_ms(), _real0) + _skip) & (PERIOD - 1)


def ticks_add(a, b):
    return (a + b) & (PERIOD - 1)


def ticks_diff(a, b):
    return ((a - b + PERIOD // 2) & (PERIOD - 1)) - PERIOD // 2


def sleep_ms(ms):
    global _skip, _total
    if ms <= 0:
        return
    _skip += ms
    _total += ms
    if ms >= 1000:   # the wait for the next slot: a squeezed heap (see machine) is given back
        m = sys.modules.get("machine")
        if m is not None:
            m._blocker.clear()
    _file.seek(0)
    _file.write("%015d\n" % _total)


def sleep(s):
    sleep_ms(int(s * 1000))


def sleep_us(us):
    sleep_ms(us // 1000)


def time():
    # the RTC: starts at the board epoch (2000) at every boot; the firmware does not use it
    return ticks_ms() // 1000


gmtime = _t.gmtime
localtime = _t.localtime
time_ns = _t.time_ns
