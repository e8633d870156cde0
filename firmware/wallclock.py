"""Wall-clock time: one checked NTP answer anchors ticks_ms; stamps come from ticks, not the RTC."""

# NTP counts from 1900; stamps are kept as seconds since 2000 (small ints on a
# 32-bit board until 2034) and sent as Unix seconds.
NTP_1900_TO_2000 = 3155673600
SECONDS_1970_TO_2000 = 946684800
EARLIEST_2000 = 788918400       # 2025-01-01: an answer before this is wrong
LATEST_2000 = 1073741823        # 2034: past the small-int range, and past this firmware's life
POLL_MS = 200                   # socket waits in steps this short, feeding the watchdog


class WallClock:
    """Time from NTP, as an anchor (seconds since 2000, ms, ticks_ms at that moment).

    The ESP8266's RTC drifts by seconds a minute; ticks_ms runs on the crystal.
    The anchor is moved forward every slot (rebase), so ticks_ms wrapping
    (every 12.4 days) never confuses it. An answer is used only if it is a
    server's reply to our own request (mode 4, stratum 1..15, our transmit
    time echoed) and falls between 2025 and 2034; micropython-lib's ntptime
    would take a zero timestamp for 2036.
    """

    def __init__(self, socket_module, select_module, clock, host="pool.ntp.org", resync_ms=3600000,
                 retry_ms=60000, timeout_ms=1000, watchdog=None, log=print):
        self._socket = socket_module
        self._select = select_module
        self._clock = clock
        port = 123
        if ":" in host:
            host, port = host.rsplit(":", 1)
            port = int(port)
        self._host = host
        self._port = port
        self._resync = resync_ms
        self._retry = retry_ms
        self._timeout = timeout_ms
        self._watchdog = watchdog
        self._log = log
        self._next_sync = None
        self._anchor = None      # [seconds since 2000, ms, ticks_ms]

    def synced(self):
        return self._anchor is not None

    def sync_if_due(self):
        """Ask NTP when due; True when a good answer set the anchor just now."""
        clock = self._clock
        now = clock.ticks_ms()
        if self._next_sync is not None and clock.ticks_diff(self._next_sync, now) > 0:
            return False
        try:
            answer = self.query()
        except Exception as e:   # OSError: no answer, DNS failed; MemoryError
            answer = None
            self._log("clock: NTP failed: %r" % e)
        if answer is None:
            self._next_sync = clock.ticks_add(clock.ticks_ms(), self._retry)
            return False
        first = self._anchor is None
        if first:
            self._anchor = answer
        else:
            a = self._anchor     # in place: nothing new stays on the heap
            a[0], a[1], a[2] = answer[0], answer[1], answer[2]
        self._next_sync = clock.ticks_add(clock.ticks_ms(), self._resync)
        if first:
            self._log("clock: set from NTP")
        return True

    def query(self):
        """One NTP exchange, bounded by timeout_ms: the anchor, or None for a bad answer."""
        socket, clock = self._socket, self._clock
        addr = socket.getaddrinfo(self._host, self._port)[0][-1]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.setblocking(False)
            req = bytearray(48)
            req[0] = 0x23            # LI 0, version 4, mode 3 (client)
            cookie = clock.ticks_ms()
            for i in range(4):       # our "transmit time": the server must echo it
                req[44 + i] = (cookie >> (8 * i)) & 0xFF
            req[40] = 0x55
            s.sendto(req, addr)
            poller = self._select.poll()
            poller.register(s, self._select.POLLIN)
            deadline = clock.ticks_add(clock.ticks_ms(), self._timeout)
            while True:
                left = clock.ticks_diff(deadline, clock.ticks_ms())
                if left <= 0:
                    raise OSError(110)
                if self._watchdog is not None:
                    self._watchdog.progress()
                if poller.poll(min(left, POLL_MS)):
                    b = s.recv(48)
                    if len(b) == 48 and b[24:32] == req[40:48]:
                        break
            ticks = clock.ticks_ms()
        finally:
            s.close()
        mode, stratum = b[0] & 7, b[1]
        if mode != 4 or not 1 <= stratum <= 15:
            self._log("clock: NTP answer refused (mode %d, stratum %d)" % (mode, stratum))
            return None
        # seconds since 2000 without a big int: 3155673600 = 0xBC17C200
        secs = ((b[40] - 0xBC) << 24) + ((b[41] << 16 | b[42] << 8 | b[43]) - 0x17C200)
        if not EARLIEST_2000 <= secs <= LATEST_2000:
            self._log("clock: NTP answer refused (%d s after 2000)" % secs)
            return None
        ms = ((b[44] << 8 | b[45]) * 1000) >> 16
        return [secs, ms, ticks]

    def rebase(self):
        """Move the anchor to now, so it is never more than a slot old when ticks wrap."""
        a = self._anchor
        if a is None:
            return
        now = self._clock.ticks_ms()
        total = a[1] + self._clock.ticks_diff(now, a[2])
        a[0] += total // 1000
        a[1] = total % 1000
        a[2] = now

    def stamp(self, ticks):
        """(seconds since 2000, ms) at an earlier ticks_ms value of this boot, or None."""
        a = self._anchor
        if a is None:
            return None
        total = a[1] + self._clock.ticks_diff(ticks, a[2])
        return a[0] + total // 1000, total % 1000


def unix_text(stamp):
    """'1795237200.125': Unix seconds with ms, as text (a float32 cannot hold it)."""
    return "%d.%03d" % (stamp[0] + SECONDS_1970_TO_2000, stamp[1])
