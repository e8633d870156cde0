"""HTTP client for the weather server: one reading per GET, backlog as JSON batches."""

try:
    import ujson as json
except ImportError:
    import json

SECONDS_1970_TO_2000 = 946684800

OK = "ok"            # 2xx: the server stored it
RETRY = "retry"      # server down, timeout, 429, 5xx: keep it and try later
REFUSED = "refused"  # other 4xx: the server will never take it, drop it


def outcome_of(status):
    if 200 <= status < 300:
        return OK
    if status == 429 or status == 408:
        return RETRY
    if 400 <= status < 500:
        return REFUSED
    return RETRY


def base_url_of(server_url):
    # The original boards were configured with ".../update"; accept that too.
    url = server_url.rstrip("/")
    if url.endswith("/update"):
        url = url[:-7]
    return url


class Uplink:
    def __init__(self, http, server_url, api_key, mac, timeout_s=10, log=print):
        self._http = http
        self._base = base_url_of(server_url)
        self._key = api_key
        self._mac = mac
        self._timeout = timeout_s
        self._log = log
        self.last_status = None   # for the serial console and the tests

    def reading_url(self, field, value):
        return "%s/update/API_key=%s/mac=%s/field=%d/data=%s" % (
            self._base, self._key, self._mac, field, str(float(value)))

    def send_reading(self, field, value):
        return self._call("GET", self.reading_url(field, value), None)

    def batch_body(self, readings):
        items = []
        for field, value, stamp in readings:
            item = {"field": field, "data": value}
            if stamp is not None:   # no stamp: the server uses the arrival time
                item["recorded_at"] = stamp + SECONDS_1970_TO_2000
            items.append(item)
        return json.dumps({"mac": self._mac, "readings": items})

    def send_batch(self, readings):
        """POST readings [(field, value, stamp)] in one request; stamp is in
        seconds since 2000-01-01 UTC (see wallclock.stamp_at) or None."""
        return self._call("POST", self._base + "/api/readings/", self.batch_body(readings))

    def _call(self, method, url, body):
        resp = None
        try:
            try:
                if body is None:
                    resp = self._http.get(url, timeout=self._timeout)
                else:
                    resp = self._http.post(url, data=body, timeout=self._timeout, headers={
                        "Authorization": "Api-Key " + self._key,
                        "Content-Type": "application/json"})
                status = resp.status_code
            except Exception as e:
                # OSError for timeouts, refused connections and DNS failures;
                # urequests raises others (ValueError, IndexError) on a torn
                # response. MemoryError too: all mean "try again later".
                self.last_status = None
                self._log("uplink: %s %s failed: %r" % (method, url[:40], e))
                return RETRY
            self.last_status = status
            result = outcome_of(status)
            if result != OK:
                self._log("uplink: %s answered %d %s" % (method, status, self._reason(resp)))
            return result
        finally:
            if resp is not None:
                try:
                    resp.close()   # the ESP8266 has only a handful of sockets
                except Exception:
                    pass

    def _reason(self, resp):
        try:
            return resp.text[:80]
        except Exception:
            return ""
