"""WiFi: bounded waits with backoff, and the SDK's flash written at most once a boot."""

import wifi
from fakeclock import FakeClock


class Wlan:
    """The ESP8266 station interface: connect(ssid, key) saves to flash, connect() reuses it."""

    def __init__(self, stored=("home", "secret"), reachable=True):
        self.stored = list(stored)
        self.reachable = reachable
        self.saves = 0
        self.joined = False
        self.on = True
        self._status = 0

    def active(self, on=None):
        if on is None:
            return self.on
        self.on = on

    def config(self, name):
        return {"ssid": self.stored[0], "mac": b"\x5c\xcf\x7f\x01\x02\x03"}[name]

    def connect(self, ssid=None, key=None):
        if ssid is not None:
            self.stored = [ssid, key]
            self.saves += 1
        if not self.reachable:
            self._status = 3  # STAT_NO_AP_FOUND
        elif self.stored != ["home", "secret"]:
            self._status = 2  # STAT_WRONG_PASSWORD
        else:
            self._status = 5
        self.joined = self._status == 5

    def isconnected(self):
        return self.joined and self.reachable

    def status(self):
        return self._status

    def ifconfig(self):
        return ("192.168.1.50",)


def link(wlan, password="secret"):
    clock = FakeClock()
    return wifi.Wifi(wlan, "home", password, clock, connect_timeout_ms=2000, log=lambda m: None), clock


def test_a_day_out_of_reach_writes_no_flash_and_waits_are_bounded():
    wlan = Wlan(reachable=False)
    link_, clock = link(wlan)
    for _ in range(1440):
        before = clock.now_ms
        assert not link_.ensure()
        assert clock.now_ms - before <= 2000
        clock.advance(60000)
    assert wlan.saves == 0
    assert link_.attempts < 1440 // 4  # backoff up to 5 minutes
    wlan.reachable = True
    clock.advance(300000)
    assert link_.ensure() and wlan.saves == 0


def test_another_ssid_is_saved_once():
    wlan = Wlan(stored=("neighbour", "x"))
    link_, _ = link(wlan)
    assert link_.ensure()
    assert wlan.saves == 1 and wlan.stored == ["home", "secret"]


def test_a_changed_password_is_saved_once_a_boot_not_at_every_try():
    wlan = Wlan(stored=("home", "old"))
    link_, clock = link(wlan)
    assert not link_.ensure()  # the stored key first: no write
    assert wlan.saves == 0
    clock.advance(60000)
    assert link_.ensure()  # wrong key: config.py's is saved, once
    assert wlan.saves == 1
    wlan.reachable = False
    wlan.joined = False
    for _ in range(100):
        clock.advance(60000)
        link_.ensure()
    assert wlan.saves == 1
