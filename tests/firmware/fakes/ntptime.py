"""Fake `ntptime`: settime() sets the fake clock's RTC, or fails like a lost UDP packet."""

host = "pool.ntp.org"
timeout = 1
clock = None  # the FakeClock to set; tests assign it
fail = False  # True: settime() raises OSError (ETIMEDOUT)
calls = 0


def settime():
    global calls
    calls += 1
    if fail:
        raise OSError(110)
    if clock is not None:
        clock.set_rtc()


def reset(new_clock=None):
    global clock, fail, calls, host
    clock = new_clock
    fail = False
    calls = 0
    host = "pool.ntp.org"
