"""Fake `time` module for the firmware: virtual ticks that wrap like the ESP8266's, and an RTC."""

TICKS_PERIOD = 1 << 30  # MicroPython's ticks_ms wraps at 2**30
SECONDS_1970_TO_2000 = 946684800


class FakeClock:
    """ticks_ms/ticks_add/ticks_diff/sleep_ms/time/gmtime over virtual time.

    Nothing really sleeps: sleep_ms() advances `now_ms`. `unix` is the true
    Unix time at boot; the RTC reads the board epoch (2000) from boot until
    ntptime sets it, like a freshly powered ESP8266.
    """

    def __init__(self, start_ticks=0, unix=1795237200, epoch_year=2000):
        self.now_ms = 0
        self._start = start_ticks
        self._unix0_ms = unix * 1000
        self.epoch_year = epoch_year
        self._epoch = SECONDS_1970_TO_2000 if epoch_year == 2000 else 0
        self._rtc_set = False
        self.slept_ms = 0
        self.on_advance = None  # optional hook(clock), called after each advance

    # --- MicroPython time API ---
    def ticks_ms(self):
        return (self._start + self.now_ms) & (TICKS_PERIOD - 1)

    def ticks_add(self, ticks, delta):
        return (ticks + delta) & (TICKS_PERIOD - 1)

    def ticks_diff(self, a, b):
        half = TICKS_PERIOD // 2
        return ((a - b + half) & (TICKS_PERIOD - 1)) - half

    def sleep_ms(self, ms):
        self.slept_ms += ms
        self.advance(ms)

    def sleep(self, s):
        self.sleep_ms(int(s * 1000))

    def time(self):
        """Seconds since the board epoch, as the RTC says."""
        if self._rtc_set:
            return (self._unix0_ms + self.now_ms) // 1000 - self._epoch
        return self.now_ms // 1000  # the RTC starts at the epoch on power-up

    def gmtime(self, secs=None):
        if secs != 0:
            raise NotImplementedError("fake gmtime only knows the epoch")
        return (self.epoch_year, 1, 1, 0, 0, 0, 5 if self.epoch_year == 2000 else 3, 1)

    # --- test controls ---
    def advance(self, ms):
        self.now_ms += ms
        if self.on_advance is not None:
            self.on_advance(self)

    def true_unix(self):
        return (self._unix0_ms + self.now_ms) // 1000

    def set_rtc(self):
        """What ntptime.settime() does: the RTC now tells the true time."""
        self._rtc_set = True
