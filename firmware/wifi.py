"""WiFi station link: (re)connect with a bounded wait and backoff, without wearing the flash."""

try:
    import ubinascii as binascii
except ImportError:
    import binascii

STEP_MS = 100
STAT_WRONG_PASSWORD = 2   # network.STAT_WRONG_PASSWORD on the ESP8266


def mac_of(wlan):
    """The board's own MAC as 'aa:bb:cc:dd:ee:ff'."""
    return binascii.hexlify(wlan.config("mac"), ":").decode()


class Wifi:
    """On the ESP8266, connect(ssid, key) saves the configuration to flash
    sectors that are not wear-levelled, and active(True) may too. So the
    configuration is written at most once a boot, and only when the stored one
    is not this SSID or its key was wrong; every other try (an access point
    out of reach, for hours) is connect() with no arguments, which reuses the
    stored configuration."""

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
        self._next_try = None
        self._log = log
        self._saved = False      # connect(ssid, key) done this boot
        self._wrong_key = False
        self.attempts = 0

    def isconnected(self):
        return self._wlan.isconnected()

    def _start(self):
        wlan = self._wlan
        if not wlan.active():
            wlan.active(True)
        if not self._saved:
            try:
                stored = wlan.config("ssid")
            except Exception:
                stored = None
            if stored != self._ssid or self._wrong_key:
                self._saved = True
                wlan.connect(self._ssid, self._password)   # the one flash write
                return
        wlan.connect()

    def ensure(self):
        """True when connected. Tries at most once per backoff period, waiting
        at most connect_timeout_ms, feeding the watchdog meanwhile."""
        wlan, clock = self._wlan, self._clock
        if wlan.isconnected():
            self._backoff = self._backoff_min
            self._next_try = None
            return True
        if self._next_try is not None and clock.ticks_diff(self._next_try, clock.ticks_ms()) > 0:
            return False
        self.attempts += 1
        self._log("wifi: connecting to %s" % self._ssid)
        try:
            self._start()
        except OSError as e:
            self._log("wifi: connect failed: %r" % e)
        deadline = clock.ticks_add(clock.ticks_ms(), self._timeout)
        while not wlan.isconnected() and clock.ticks_diff(deadline, clock.ticks_ms()) > 0:
            if self._watchdog is not None:
                self._watchdog.progress()
            clock.sleep_ms(STEP_MS)
        if wlan.isconnected():
            self._log("wifi: connected %s" % (wlan.ifconfig()[0],))
            self._backoff = self._backoff_min
            self._next_try = None
            return True
        try:
            self._wrong_key = wlan.status() == STAT_WRONG_PASSWORD
        except Exception:
            self._wrong_key = False
        self._next_try = clock.ticks_add(clock.ticks_ms(), self._backoff)
        self._log("wifi: no connection, next try in %d s" % (self._backoff // 1000))
        self._backoff = min(self._backoff * 2, self._backoff_max)
        return False
