"""Watchdog: the ESP8266's soft WDT, fed by a timer only while the station loop makes progress."""

FEED_MS = 500   # timer period: well inside the chip's ~3.2 s soft-WDT window


class Watchdog:
    """On the ESP8266, machine.WDT() takes no timeout (anything but 5000 is a
    ValueError) and, once made, the chip resets about 3.2 s after the last
    wdt.feed(), whatever Python is waiting on. So a periodic machine.Timer
    feeds it every FEED_MS; its callback runs during sleep_ms, socket waits and
    DNS lookups. The timer feeds only while progress() was called within
    timeout_ms: every wait the firmware makes is bounded well below that, and
    a loop truly stuck for timeout_ms stops the feeding, so the chip resets
    3.2 s later. arm=False (safe mode) makes no WDT at all.
    """

    def __init__(self, machine, clock, timeout_ms=90000, log=print, arm=True):
        self._clock = clock
        self.timeout_ms = timeout_ms
        self._last = clock.ticks_ms()
        self._hw = None
        self._timer = None
        self._held = False
        if not arm:
            return
        try:
            self._hw = machine.WDT()
        except Exception as e:
            log("watchdog: no hardware WDT: %r" % e)
        if self._hw is None:
            return
        try:
            self._timer = machine.Timer(-1)
            self._timer.init(period=FEED_MS, mode=machine.Timer.PERIODIC, callback=self._tick)
        except Exception as e:
            log("watchdog: no feeding timer: %r" % e)

    def armed(self):
        return self._hw is not None

    def progress(self):
        """The loop went round (or a bounded wait is still going): keep feeding."""
        self._last = self._clock.ticks_ms()
        self.feed()

    def feed(self):
        if self._hw is not None and (
                self._held or self._clock.ticks_diff(self._clock.ticks_ms(), self._last) < self.timeout_ms):
            self._hw.feed()

    def _tick(self, _timer):
        self.feed()

    def hold(self):
        """Ctrl-C: the WDT cannot be stopped once made, so the timer keeps feeding
        it unconditionally while the user works at the REPL."""
        self._held = True
        self.feed()
