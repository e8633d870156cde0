"""WiFi station link: (re)connect with a timeout and exponential backoff."""

try:
    import ubinascii as binascii
except ImportError:
    import binascii


def mac_of(wlan):
    """The board's own MAC as 'aa:bb:cc:dd:ee:ff'."""
    return binascii.hexlify(wlan.config("mac"), ":").decode()


class Wifi:
    def __init__(self, wlan, ssid, password, clock, watchdog=None,
                 connect_timeout_ms=20000, backoff_min_ms=5000, backoff_max_ms=300000, log=print):
        self._wlan = wlan
        self._ssid = ssid
        self._password = password
        self._clock = clock
        self._watchdog = watchdog
        self._timeout = connect_timeout_ms
        self._backoff_min = backoff_min_ms
        self._backoff_max = backoff_max_ms
        self._backoff = backoff_min_ms
        self._next_try = None     # ticks_ms before which we do not try again
        self._log = log
        self.attempts = 0

    def isconnected(self):
        return self._wlan.isconnected()

    def ensure(self):
        """True when connected. Tries to connect at most once per backoff period,
        so a missing access point costs a reading loop no more than the timeout."""
        if self._wlan.isconnected():
            self._backoff = self._backoff_min
            self._next_try = None
            return True
        clock = self._clock
        if self._next_try is not None and clock.ticks_diff(self._next_try, clock.ticks_ms()) > 0:
            return False
        self.attempts += 1
        self._log("wifi: connecting to %s" % self._ssid)
        try:
            self._wlan.active(True)
            self._wlan.connect(self._ssid, self._password)
        except OSError as e:
            self._log("wifi: connect failed: %r" % e)
        deadline = clock.ticks_add(clock.ticks_ms(), self._timeout)
        while not self._wlan.isconnected() and clock.ticks_diff(deadline, clock.ticks_ms()) > 0:
            if self._watchdog:
                self._watchdog.feed()
            clock.sleep_ms(250)
        if self._wlan.isconnected():
            self._log("wifi: connected %s" % (self._wlan.ifconfig(),))
            self._backoff = self._backoff_min
            self._next_try = None
            return True
        try:
            # stop the chip retrying on its own, so the next attempt starts clean
            self._wlan.disconnect()
        except OSError:
            pass
        self._next_try = clock.ticks_add(clock.ticks_ms(), self._backoff)
        self._log("wifi: no connection, next try in %d s" % (self._backoff // 1000))
        self._backoff = min(self._backoff * 2, self._backoff_max)
        return False
