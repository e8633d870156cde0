"""Wall-clock time from NTP, as Unix epoch seconds, only once really synced."""

# MicroPython on the ESP8266 counts from 2000-01-01; the server wants 1970.
SECONDS_1970_TO_2000 = 946684800


def epoch_offset(clock):
    try:
        year = clock.gmtime(0)[0]
    except AttributeError:   # old ports only have localtime()
        year = clock.localtime(0)[0]
    return SECONDS_1970_TO_2000 if year == 2000 else 0


class WallClock:
    def __init__(self, ntptime, clock, resync_ms=3600000, retry_ms=60000, host=None, log=print):
        self._ntp = ntptime
        self._clock = clock
        self._resync = resync_ms
        self._retry = retry_ms
        self._offset = epoch_offset(clock)
        self._synced = False
        self._next_sync = None    # ticks_ms of the next attempt; None = now
        self._log = log
        if host and ntptime is not None:
            ntptime.host = host

    def synced(self):
        return self._synced

    def sync_if_due(self):
        """Set the RTC from NTP when due. True when it was set just now.

        The ESP8266 RTC drifts by seconds per hour, hence the periodic resync.
        """
        clock = self._clock
        now = clock.ticks_ms()
        if self._ntp is None or (self._next_sync is not None and clock.ticks_diff(self._next_sync, now) > 0):
            return False
        try:
            self._ntp.settime()
        except Exception as e:   # OSError on timeout; OverflowError on a bad answer
            self._log("clock: NTP failed: %r" % e)
            self._next_sync = clock.ticks_add(now, self._retry)
            return False
        self._synced = True
        self._next_sync = clock.ticks_add(now, self._resync)
        return True

    def unix_now(self):
        """Unix time in seconds, or None while the clock was never synced."""
        if not self._synced:
            return None
        return self._clock.time() + self._offset

    def unix_at(self, ticks):
        """Unix time at an earlier ticks_ms value, or None if unknown."""
        now = self.unix_now()
        if now is None:
            return None
        age = self._clock.ticks_diff(self._clock.ticks_ms(), ticks)
        if age < 0:   # more than half a ticks period ago (days): unknown
            return None
        return now - age // 1000

    def stamp_at(self, ticks):
        """Like unix_at, but in seconds since 2000-01-01 UTC: this stays a
        small int (no heap allocation) on a 32-bit board until 2034, which
        matters for the hundreds of readings kept in the backlog."""
        unix = self.unix_at(ticks)
        return None if unix is None else unix - SECONDS_1970_TO_2000
