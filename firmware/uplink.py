"""HTTP to the weather server: readings as JSON batches, streamed from flash with a Content-Length.

No urequests: a batch is never built in RAM (its lines are written to the
socket one at a time), the answer goes into one preallocated buffer, and
every wait (connect, send, receive) polls in steps of POLL_MS so the
watchdog is told between them and the whole request ends by its deadline.
"""

POLL_MS = 200
EINPROGRESS = (115, 119, 11)   # Linux/lwIP EINPROGRESS, lwIP's older 119, EAGAIN


def base_of(server_url):
    """(host, port, path prefix) of 'http://host[:port][/prefix][/update]'."""
    url = server_url.strip()
    if url.startswith("http://"):
        url = url[7:]
    url = url.rstrip("/")
    if url.endswith("/update"):   # the original boards were configured with ".../update"
        url = url[:-7]
    slash = url.find("/")
    hostport, path = (url, "") if slash < 0 else (url[:slash], url[slash:])
    port = 80
    if ":" in hostport:
        hostport, port = hostport.rsplit(":", 1)
        port = int(port)
    return hostport, port, path


def refused_index(detail):
    """The index in 'readings.12...' of a refusal's detail, or None."""
    at = detail.find(b"readings.")
    if at < 0:
        return None
    at += 9
    end = at
    while end < len(detail) and 48 <= detail[end] <= 57:
        end += 1
    return int(detail[at:end]) if end > at else None


class Uplink:
    """POST /api/readings/ with the device key; status codes as the server gives them."""

    def __init__(self, socket_module, select_module, server_url, api_key, mac, clock, timeout_ms=10000,
                 watchdog=None, log=print):
        self._socket = socket_module
        self._select = select_module
        self._host, self._port, path = base_of(server_url)
        self._clock = clock
        self._timeout = timeout_ms
        self._watchdog = watchdog
        self._log = log
        self._addr = None
        self._head = ("POST %s/api/readings/ HTTP/1.0\r\nHost: %s\r\nAuthorization: Api-Key %s\r\n"
                      "Content-Type: application/json\r\nContent-Length: " % (path, self._host, api_key)).encode()
        self.prefix = ('{"mac":"%s","readings":[' % mac).encode()
        self._buf = bytearray(320)   # the answer: status line, headers, a refusal's first words
        self.status = None
        self.retry_after_s = 0
        self.detail = b""
        self._failures = 0

    def post(self, body_bytes, emit):
        """Send one batch: body_bytes of readings that emit(send) writes.
        The HTTP status, or None when the server could not be reached or answered
        nothing in time (the caller keeps the readings)."""
        self.status, self.retry_after_s, self.detail = None, 0, b""
        try:
            self._exchange(body_bytes, emit)
        except Exception as e:   # OSError, MemoryError: keep the readings, try later
            self._failures += 1
            if self._failures % 16 == 0:
                self._addr = None    # the name may point elsewhere now: look it up again
            self._log("uplink: POST failed: %r" % e)
            return None
        self._failures = 0
        if self.status != 201 and self.status != 200:
            self._log("uplink: POST answered %d %s" % (self.status, self.detail[:80]))
        return self.status

    def _wait(self, poller, deadline):
        clock = self._clock
        while True:
            left = clock.ticks_diff(deadline, clock.ticks_ms())
            if left <= 0:
                raise OSError(110)   # ETIMEDOUT
            if self._watchdog is not None:
                self._watchdog.progress()
            events = poller.poll(min(left, POLL_MS))
            if events:
                return events[0][1]

    def _exchange(self, body_bytes, emit):
        socket, select, clock = self._socket, self._select, self._clock
        deadline = clock.ticks_add(clock.ticks_ms(), self._timeout)
        if self._addr is None:
            # lwIP's DNS has no timeout of its own but gives up after its retries;
            # the watchdog's timer keeps the chip fed meanwhile. An IP needs no lookup.
            self._addr = socket.getaddrinfo(self._host, self._port)[0][-1]
        s = socket.socket()
        try:
            s.setblocking(False)
            try:
                s.connect(self._addr)
            except OSError as e:
                if e.args[0] not in EINPROGRESS:
                    raise
            poller = select.poll()
            poller.register(s, select.POLLOUT)
            if self._wait(poller, deadline) & (select.POLLERR | select.POLLHUP):
                raise OSError(111)   # ECONNREFUSED
            length = len(self.prefix) + body_bytes + 2

            def send(data):
                mv = memoryview(data)
                while len(mv):
                    n = s.write(mv)
                    if n:
                        mv = mv[n:]
                    else:
                        self._wait(poller, deadline)

            send(self._head)
            send(("%d\r\nConnection: close\r\n\r\n" % length).encode())
            send(self.prefix)
            emit(send)
            send(b"]}")
            poller.modify(s, select.POLLIN)
            buf = self._buf
            mv = memoryview(buf)
            got = 0
            while got < len(buf):
                self._wait(poller, deadline)
                n = s.readinto(mv[got:])
                if n is None:
                    continue
                if n == 0:
                    break
                got += n
        finally:
            s.close()
        self._parse(buf, got)

    def _parse(self, buf, got):
        # in place: no copy of the answer on a fragmented heap
        if got < 12 or buf[0] != 72 or buf[5] != 49:    # "HTTP/1."
            raise OSError(5)   # EIO: a torn answer is no answer
        self.status = (buf[9] - 48) * 100 + (buf[10] - 48) * 10 + buf[11] - 48
        body = _find(buf, got, b"\r\n\r\n", 0)
        head_end = got if body < 0 else body
        at = _find(buf, head_end, b"\r\nRetry-After:", 0)
        if at >= 0:
            at += 14
            seconds = 0
            while at < head_end and (buf[at] == 32 or 48 <= buf[at] <= 57):
                if buf[at] != 32:
                    seconds = seconds * 10 + buf[at] - 48
                at += 1
            self.retry_after_s = seconds
        if body >= 0 and self.status >= 400:
            self.detail = bytes(buf[body + 4:min(got, body + 84)])


def _find(buf, end, what, start):
    first, n = what[0], len(what)
    i = start
    while i + n <= end:
        if buf[i] == first and buf[i:i + n] == what:
            return i
        i += 1
    return -1
