"""Status LED: a short blink pattern after every reading loop tells what happened."""

# Number of blinks; a bigger number is a worse problem and wins in a loop.
OK = 1        # readings posted (or kept and flushed)
WIFI = 2      # no WiFi: readings are kept on flash
SERVER = 3    # server unreachable, 5xx, timeout, 401/403/404/413/429: readings kept
REFUSED = 4   # server refused a reading as invalid (400): that reading dropped
SENSOR = 5    # sensor did not answer on I2C

NAMES = {OK: "ok", WIFI: "no wifi", SERVER: "server down", REFUSED: "refused", SENSOR: "sensor error"}


class Led:
    def __init__(self, pin, clock, active_low=True, watchdog=None):
        self._pin = pin     # a machine.Pin in OUT mode, or None for no LED
        self._clock = clock
        self._watchdog = watchdog
        self._on = 0 if active_low else 1   # the Huzzah's LEDs light when the pin is low
        self.off()

    def on(self):
        if self._pin is not None:
            self._pin.value(self._on)

    def off(self):
        if self._pin is not None:
            self._pin.value(1 - self._on)

    def blink(self, count, on_ms=80, off_ms=250):
        """At most 10 blinks (3.3 s), the watchdog told between them."""
        if self._pin is None:
            return
        for _ in range(min(count, 10)):
            if self._watchdog is not None:
                self._watchdog.progress()
            self.on()
            self._clock.sleep_ms(on_ms)
            self.off()
            self._clock.sleep_ms(off_ms)
