"""A `urequests` stand-in that makes real HTTP calls with urllib, with switches for an outage."""

import socket
import urllib.error
import urllib.request


class Response:
    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text
        self.closed = False

    def close(self):
        self.closed = True


def closed_port():
    """A loopback port nothing listens on: connecting is refused, as with a server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UrllibHttp:
    """get/post as urequests has them, over real sockets.

    `down = True` sends every request to a closed port (a real ConnectionRefusedError, an
    OSError as on the board). `lose_batch_answers = n` lets the next n batches (POSTs) reach the
    server and then raises a timeout instead of answering: the server stored them, the board
    never heard.
    """

    def __init__(self):
        self.down = False
        self.lose_batch_answers = 0
        self.calls = []
        self._closed_port = closed_port()

    def request(self, method, url, data=None, headers=None, timeout=None):
        self.calls.append((method, url))
        if self.down:
            url = "http://127.0.0.1:{}/{}".format(self._closed_port, url.split("/", 3)[3])
        if isinstance(data, str):
            data = data.encode()
        req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                response = Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            response = Response(error.code, error.read().decode())
        if method == "POST" and self.lose_batch_answers:
            self.lose_batch_answers -= 1
            raise OSError(110, "ETIMEDOUT: the answer was lost")
        return response

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)
