"""Status LED: a short blink pattern after every reading loop tells what happened."""

# Number of blinks; a bigger number is a worse problem and wins in a loop.
OK = 1        # reading posted (or buffered and flushed)
WIFI = 2      # no WiFi: readings are kept in the backlog
SERVER = 3    # server unreachable, 5xx, timeout or 429: readings kept
REFUSED = 4   # server said 4xx (API key, MAC, field): readings dropped
SENSOR = 5    # sensor did not answer on I2C

NAMES = {OK: "ok", WIFI: "no wifi", SERVER: "server down", REFUSED: "refused", SENSOR: "sensor error"}


class Led:
    def __init__(self, pin, clock, active_low=True):
        self._pin = pin     # a machine.Pin in OUT mode, or None for no LED
        self._clock = clock
        self._on = 0 if active_low else 1   # the Huzzah's LEDs light when the pin is low
        self.off()

    def on(self):
        if self._pin is not None:
            self._pin.value(self._on)

    def off(self):
        if self._pin is not None:
            self._pin.value(1 - self._on)

    def blink(self, count, on_ms=80, off_ms=250):
        if self._pin is None:
            return
        for _ in range(count):
            self.on()
            self._clock.sleep_ms(on_ms)
            self.off()
            self._clock.sleep_ms(off_ms)
