"""Fake `urequests`: records every request, answers from a script, tracks close()."""


class Response:
    def __init__(self, status_code, text=""):
        self.status_code = status_code
        self.text = text
        self.closed = False

    def close(self):
        self.closed = True


class Call:
    def __init__(self, method, url, data, headers, timeout):
        self.method = method
        self.url = url
        self.data = data
        self.headers = headers
        self.timeout = timeout


class FakeHttp:
    """Stands in for the urequests module (get/post/request).

    Answers come from `script` (a list used first, oldest first), else from
    `responder(call)` if set, else `default`. An answer is a status code, a
    (status, text) pair, or an exception instance to raise (OSError(110) is
    what a MicroPython socket timeout raises). `latency_ms` is spent on
    `clock` for every request, to give the loop real work to do.
    """

    def __init__(self, default=200, clock=None, latency_ms=0):
        self.calls = []
        self.responses = []
        self.script = []
        self.responder = None
        self.default = default
        self.clock = clock
        self.latency_ms = latency_ms

    def request(self, method, url, data=None, json=None, headers=None, timeout=None):
        call = Call(method, url, data, headers, timeout)
        self.calls.append(call)
        if self.clock is not None and self.latency_ms:
            self.clock.advance(self.latency_ms)
        if self.script:
            answer = self.script.pop(0)
        elif self.responder is not None:
            answer = self.responder(call)
        else:
            answer = self.default
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, tuple):
            resp = Response(answer[0], answer[1])
        else:
            resp = Response(answer, "1" if 200 <= answer < 300 else "error " + str(answer))
        self.responses.append(resp)
        return resp

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    # --- test helpers ---
    def all_closed(self):
        for r in self.responses:
            if not r.closed:
                return False
        return True


# module-level API, so `import urequests` works where the firmware imports it
http = FakeHttp()


def request(method, url, **kw):
    return http.request(method, url, **kw)


def get(url, **kw):
    return http.request("GET", url, **kw)


def post(url, **kw):
    return http.request("POST", url, **kw)
