"""Fake `network`: a WLAN whose access point can come and go."""

STA_IF = 0
AP_IF = 1

_interfaces = {}


def WLAN(interface=STA_IF):
    # like the real module: one object per interface
    if interface not in _interfaces:
        _interfaces[interface] = FakeWLAN(interface)
    return _interfaces[interface]


class FakeWLAN:
    def __init__(self, interface):
        self.interface = interface
        self.available = True  # is the access point in reach?
        self.connected = False
        self.is_active = interface == AP_IF  # the ESP8266 starts its AP by default
        self.connect_calls = []
        self.disconnect_calls = 0
        self.mac = b"\x5c\xcf\x7f\x01\x02\x03"

    def active(self, value=None):
        if value is None:
            return self.is_active
        self.is_active = bool(value)

    def connect(self, ssid=None, password=None):
        self.connect_calls.append((ssid, password))
        if self.available:
            self.connected = True

    def disconnect(self):
        self.disconnect_calls += 1
        self.connected = False

    def isconnected(self):
        return self.connected and self.available

    def ifconfig(self):
        return ("192.168.1.50", "255.255.255.0", "192.168.1.1", "192.168.1.1")

    def config(self, name):
        if name == "mac":
            return self.mac
        raise ValueError(name)

    # --- test controls ---
    def lose(self):
        """The access point goes away."""
        self.available = False
        self.connected = False

    def restore(self):
        """The access point is back (connect() is still needed)."""
        self.available = True


def reset():
    _interfaces.clear()
