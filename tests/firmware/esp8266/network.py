"""Fake `network` with the ESP8266 port's flash behaviour (ports/esp8266/network_wlan.c).

connect(ssid, key) stores the configuration in the SDK's flash sectors and
connect() reuses it; active() switching the mode writes flash too. Each such
write is an event `flash ...` the test counts. The access point is in reach
unless the schedule says `wifi_down`.
"""

import board

STA_IF, AP_IF = 0, 1
STAT_IDLE, STAT_CONNECTING, STAT_WRONG_PASSWORD, STAT_NO_AP_FOUND, STAT_GOT_IP = 0, 1, 2, 3, 5
AP_SSID, AP_KEY = "home", "secret"   # the household's access point


def _load():
    parts = (board.read("sdk", "") or "").split("\n")
    while len(parts) < 3:
        parts.append("")
    return parts   # ssid, key, mode ("1" sta, "3" sta+ap: the factory default)


_sdk = _load()
if not _sdk[2]:
    _sdk[2] = "3"


def _save(what):
    with open(board.path("sdk"), "w") as f:
        f.write("\n".join(_sdk))
    board.event("flash " + what)


_ifaces = {}


def WLAN(interface=STA_IF):
    if interface not in _ifaces:
        _ifaces[interface] = _WLAN(interface)
    return _ifaces[interface]


class _WLAN:
    def __init__(self, interface):
        self._if = interface
        self._joined = False
        self._status = STAT_IDLE

    def active(self, on=None):
        bit = 1 if self._if == STA_IF else 2
        mode = int(_sdk[2])
        if on is None:
            return bool(mode & bit)
        new = (mode | bit) if on else (mode & ~bit)
        if new != mode:
            _sdk[2] = str(new)
            _save("opmode")

    def connect(self, ssid=None, key=None):
        if ssid is not None:
            _sdk[0], _sdk[1] = ssid, key or ""
            _save("wifi config")
        if board.condition.startswith("wifi_down") or _sdk[0] != AP_SSID:
            self._status = STAT_NO_AP_FOUND
        elif _sdk[1] != AP_KEY:
            self._status = STAT_WRONG_PASSWORD
        else:
            self._status = STAT_GOT_IP
        self._joined = self._status == STAT_GOT_IP

    def disconnect(self):
        self._joined = False

    def isconnected(self):
        if board.condition.startswith("wifi_down"):
            self._joined = False
        return self._joined and int(_sdk[2]) & 1 == 1

    def status(self):
        return STAT_GOT_IP if self.isconnected() else self._status

    def ifconfig(self):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")

    def config(self, name):
        if name == "mac":
            return b"\x5c\xcf\x7f\x01\x02\x03"
        if name in ("ssid", "essid"):
            return _sdk[0]
        raise ValueError(name)
