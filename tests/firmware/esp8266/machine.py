"""Fake `machine` with the ESP8266 port's semantics (MicroPython 1.26.1, ports/esp8266).

- WDT(timeout=t) raises ValueError unless t == 5000; once a WDT exists, the
  chip resets about 3.2 s (two 1.6 s soft-WDT ticks) after the last feed(),
  whatever the program waits on. A reset here is the process killed, with
  the cause kept for the next boot; the test starts the board again.
- Timer(-1) callbacks are scheduled (micropython.schedule), so they run
  between bytecodes and during sleeps, never inside a blocking C call.
- RTC().memory() keeps up to 492 bytes across resets and deep sleep, not
  across a power cut (the test deletes the file then).
- reset_cause() tells power-on, watchdog, soft reset and deep-sleep wake apart.
- I2C: an MCP9808 at 0x18 whose temperature is reading number n (1/16 degC
  steps), or 125 degC for a `glitch` reading, as the schedule says.
"""

import gc
import os

import _thread
import micropython
import utime

import board

PWRON_RESET, WDT_RESET, SOFT_RESET, DEEPSLEEP_RESET, HARD_RESET = 0, 1, 4, 5, 6
SOFT_WDT_MS = 3200

_cause = int((board.read("reset_cause", "0") or "0").strip() or 0)
try:
    os.remove(board.path("reset_cause"))
except OSError:
    pass


def reset_cause():
    return _cause


def _die(cause, why):
    with open(board.path("reset_cause"), "w") as f:
        f.write("%d" % cause)
    board.event(why)
    os.system("kill -9 $PPID")   # the shell's parent: this interpreter, gone at once like the chip
    while True:
        utime.sleep_ms(1000)


def reset():
    _die(SOFT_RESET, "reset soft")


def deepsleep(ms=0):
    import time
    time.sleep_ms(ms)   # asleep: the virtual clock moves on
    _die(DEEPSLEEP_RESET, "deepsleep %d" % ms)


def idle():
    pass


def freq(*args):
    return 80000000


# --- watchdog, timers -----------------------------------------------------
_wdt = None
_timers = []


def _heartbeat():
    # One thread for the chip's own clockwork: timer ticks and the soft WDT.
    while True:
        utime.sleep_ms(20)
        now = utime.ticks_ms()
        for t in _timers:
            if t._cb is not None and utime.ticks_diff(now, t._due) >= 0:
                t._due = utime.ticks_add(t._due, t._period)
                try:
                    micropython.schedule(t._cb, t)
                except RuntimeError:
                    pass   # queue full: the tick is lost, as on the board
        w = _wdt
        if w is not None and utime.ticks_diff(now, w._last) > SOFT_WDT_MS:
            _die(WDT_RESET, "reset watchdog after %d ms without feed, at %d" % (utime.ticks_diff(now, w._last), now))


_thread_started = False


def _start_thread():
    global _thread_started
    if not _thread_started:
        _thread_started = True
        _thread.start_new_thread(_heartbeat, ())


class WDT:
    def __init__(self, id=0, timeout=5000):
        global _wdt
        if timeout != 5000:
            raise ValueError("timeout must be 5000")   # as machine_wdt.c
        self._last = utime.ticks_ms()
        self.gap = 0
        self.peak = 0
        _wdt = self
        board.event("wdt armed")
        _start_thread()

    def feed(self):
        global _squeeze_next
        if _squeeze_next:   # the reading is taken: squeeze what the firmware does with it
            _squeeze_next = False
            _squeeze()
        now = utime.ticks_ms()
        gap = utime.ticks_diff(now, self._last)
        self._last = now
        if gap > self.gap:
            self.gap = gap
            try:
                board.event("gap %d" % gap)
            except MemoryError:
                self.gap = 0   # noted at the next feed
        # the live heap at every feed: what the firmware holds, garbage collected first
        gc.collect()
        used = gc.mem_alloc() - 240 * len(_blocker)
        if used > self.peak:
            self.peak = used


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1):
        self._cb = None
        self._period = 0
        self._due = 0

    def init(self, period=1000, mode=PERIODIC, callback=None):
        self._period = period
        self._due = utime.ticks_add(utime.ticks_ms(), period)
        self._cb = callback
        if self not in _timers:
            _timers.append(self)
        _start_thread()

    def deinit(self):
        self._cb = None


# --- RTC ------------------------------------------------------------------
class RTC:
    def memory(self, data=None):
        if data is None:
            try:
                with open(board.path("rtc_memory"), "rb") as f:
                    return f.read()
            except OSError:
                return b""
        if len(data) > 492:
            raise ValueError("buffer too long")
        with open(board.path("rtc_memory"), "wb") as f:
            f.write(data)


# --- pins, I2C and the sensor ---------------------------------------------
class Pin:
    IN, OUT, OPEN_DRAIN, PULL_UP = 0, 1, 2, 1

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self._v = 0 if value is None else value

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = 1 if v else 0
        if _wdt is None:   # safe mode's LED (a normal boot arms the WDT before any LED)
            board.event("pin %d %d" % (self.id, self._v))

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


def celsius_of(n):
    return -80.0 + n / 16.0


# A BMP280 at 0x77 with the datasheet's example trimming and raw values (25.08 degC, 1006.53 hPa)
_BMP = {0xD0: b"\x58", 0xF3: b"\x00",
        0x88: bytes([0x70, 0x6B, 0x43, 0x67, 0x18, 0xFC, 0x7D, 0x8E, 0x43, 0xD6, 0xD0, 0x0B,
                     0x27, 0x0B, 0x8C, 0x00, 0xF9, 0xFF, 0x8C, 0x3C, 0xF8, 0xC6, 0x70, 0x17]),
        0xF7: bytes([0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00])}


class I2C:
    def __init__(self, id=-1, scl=None, sda=None, freq=400000):
        pass

    def scan(self):
        return [0x18, 0x77]

    def readfrom_mem(self, addr, reg, n):
        if addr != 0x77:
            raise OSError(19)
        return _BMP[reg][:n]

    def writeto_mem(self, addr, reg, data):
        if addr != 0x77:
            raise OSError(19)

    def readfrom_mem_into(self, addr, reg, buf):
        if addr == 0x77:
            _taken(None)
            for i in range(len(buf)):
                buf[i] = _BMP[0xF7][i]
            return
        if addr != 0x18:
            raise OSError(19)
        c = _taken(celsius_of)
        raw = int(c * 16) & 0x1FFF
        buf[0] = raw >> 8
        buf[1] = raw & 0xFF


_blocker = []
_squeeze_next = False


def _squeeze():
    # "squeeze": hold all but `squeeze_left` bytes of the heap during this slot, in small
    # pieces scattered where the allocator puts them, as a fragmented heap would
    gc.collect()
    left = int(board.read("squeeze_left", "1500") or 1500)
    for size in (240, 48, 8):   # smaller pieces fill what larger ones no longer fit in
        try:
            while gc.mem_free() > left + size + 16:
                _blocker.append(bytearray(size))
        except MemoryError:
            pass


def _taken(value_of):
    """Count reading n, as the schedule has it; its value (the BMP280's is fixed)."""
    n = board.reading + 1
    what = board.condition_for(n)
    if what.endswith("stuck"):
        board.event("stuck %d" % utime.ticks_ms())
        while True:   # a driver that never returns, without waiting on anything
            pass
    board.reading = n
    board.set_condition(what)
    global _squeeze_next
    _blocker.clear()
    _squeeze_next = "squeeze" in what
    c = 125.0 if what.endswith("glitch") else value_of(n) if value_of else 25.08
    import time
    with open(board.path("taken"), "a") as f:
        f.write("%d %s %d %d\n" % (n, repr(c), utime.time_ns() // 1000000, time._total))
    if _wdt is not None:
        board.event("heap %d %d" % (n, _wdt.peak))
        _wdt.peak = 0
    return c


SoftI2C = I2C
