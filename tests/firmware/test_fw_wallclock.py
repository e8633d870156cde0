"""Time from NTP: only a checked answer anchors ticks_ms; stamps are wrap-safe and in ms."""

import select
import socket
import struct
import threading
import time

import pytest
import wallclock
from fakeclock import TICKS_PERIOD, FakeClock

NTP_1900_TO_1970 = 2208988800
NOW = 1795237200  # 2026-11-21


class Clock(FakeClock):
    """Virtual time that also moves with real time, so a socket wait can run out."""

    def __init__(self, start_ticks=0):
        super().__init__(start_ticks)
        self._real0 = time.monotonic()

    def ticks_ms(self):
        real = int((time.monotonic() - self._real0) * 1000)
        return (self._start + self.now_ms + real) & (TICKS_PERIOD - 1)


class Ntp:
    """A one-shot NTP server on loopback; `reply(request)` builds the answer."""

    def __init__(self, reply):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        request, peer = self.sock.recvfrom(512)
        answer = self.reply(request)
        if answer is not None:
            self.sock.sendto(answer, peer)

    def close(self):
        self.sock.close()


def answer(request, unix=NOW, ms=250, mode=4, stratum=2, echo=True):
    reply = bytearray(48)
    reply[0] = 0x20 | mode
    reply[1] = stratum
    if echo:
        reply[24:32] = request[40:48]
    secs = unix + NTP_1900_TO_1970 if unix else 0
    reply[40:48] = struct.pack("!II", secs, ms * (1 << 32) // 1000)
    return bytes(reply)


def clock_for(server, start_ticks=0):
    clock = Clock(start_ticks)
    logs = []
    host = f"127.0.0.1:{server.port}"
    wc = wallclock.WallClock(socket, select, clock, host, timeout_ms=2000, log=logs.append)
    return wc, clock, logs


def sync(reply, start_ticks=0):
    server = Ntp(reply)
    try:
        wc, clock, logs = clock_for(server, start_ticks)
        return wc.sync_if_due(), wc, clock, logs
    finally:
        server.close()


def test_a_good_answer_anchors_the_ticks():
    ok, wc, clock, _ = sync(answer)
    assert ok and wc.synced()
    anchor = wc._anchor[2]
    assert wallclock.unix_text(wc.stamp(anchor)) == f"{NOW}.250"
    assert wallclock.unix_text(wc.stamp(anchor + 61500)) == f"{NOW + 61}.750"
    assert wallclock.unix_text(wc.stamp(anchor - 1000)) == f"{NOW - 1}.250"  # read before the answer


@pytest.mark.parametrize(
    "bad",
    [
        lambda r: answer(r, unix=0),  # micropython-lib's ntptime makes this 2036
        lambda r: answer(r, unix=946684800),  # 2000: a server that lost its own time
        lambda r: answer(r, mode=3),  # not a server's reply
        lambda r: answer(r, stratum=0),  # kiss-o'-death
    ],
    ids=["zero", "year-2000", "not-a-reply", "stratum-0"],
)
def test_a_bad_answer_is_refused(bad):
    ok, wc, _, logs = sync(bad)
    assert not ok and not wc.synced() and wc.stamp(0) is None
    assert any("refused" in line for line in logs)


def test_an_answer_to_someone_elses_request_is_ignored_and_times_out():
    ok, wc, _, logs = sync(lambda r: answer(r, echo=False))
    assert not ok and not wc.synced()
    assert any("NTP failed" in line for line in logs)


def test_stamps_stay_right_across_the_ticks_wrap_when_rebased_each_slot():
    ok, wc, clock, _ = sync(answer, start_ticks=TICKS_PERIOD - 90000)
    assert ok
    first = wc._anchor[2]
    for _ in range(60 * 24 * 14):  # two weeks of one-minute slots: ticks wrap once (every 12.4 days)
        clock.advance(60000)
        wc.rebase()
    later = wc._anchor[2]
    assert later < first  # wrapped
    secs, ms = wc.stamp(later)
    stamped_ms = (secs + wallclock.SECONDS_1970_TO_2000) * 1000 + ms
    # two weeks on (plus the few real ms the loop took), not two weeks less a ticks period
    assert 0 <= stamped_ms - (NOW * 1000 + 250 + 14 * 86400 * 1000) < 2000
