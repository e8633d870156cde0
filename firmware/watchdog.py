"""Watchdog: the hardware WDT plus a timer-driven guard that resets a hung board."""


class Watchdog:
    """Feed it at least every timeout_ms or the board resets.

    machine.WDT alone is not enough on the ESP8266: the system feeds it as
    long as the interpreter runs, so a Python loop stuck waiting would never
    be caught. A periodic machine.Timer checks when feed() was last called
    and calls machine.reset() when that is longer than timeout_ms ago.
    """

    def __init__(self, machine, clock, timeout_ms=90000, log=print):
        self._machine = machine
        self._clock = clock
        self.timeout_ms = timeout_ms
        self._log = log
        self._last = clock.ticks_ms()
        self.feeds = 0
        self._hw = None
        self._timer = None
        try:
            try:
                self._hw = machine.WDT(timeout=timeout_ms)
            except (TypeError, ValueError):   # the ESP8266 takes no timeout
                self._hw = machine.WDT()
        except Exception as e:
            log("watchdog: no hardware WDT: %r" % e)
        try:
            self._timer = machine.Timer(-1)
            self._timer.init(period=5000, mode=machine.Timer.PERIODIC, callback=self._check)
        except Exception as e:
            log("watchdog: no timer guard: %r" % e)

    def feed(self):
        self._last = self._clock.ticks_ms()
        self.feeds += 1
        if self._hw is not None:
            self._hw.feed()

    def _check(self, _timer):
        if self._clock.ticks_diff(self._clock.ticks_ms(), self._last) > self.timeout_ms:
            print("watchdog: not fed for %d s, resetting" % (self.timeout_ms // 1000))
            self._machine.reset()

    def stop(self):
        """Stop the timer guard (before dropping to the REPL). The hardware WDT
        cannot be stopped once started; on the ESP8266 it does not bite anyway."""
        if self._timer is not None:
            self._timer.deinit()
            self._timer = None
