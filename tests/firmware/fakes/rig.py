"""A complete station wired to fakes, shared by the CPython tests and the MicroPython run."""

import machine
import network
import ntptime
from backlog import Backlog
from bmp280 import BMP280
from fakeclock import FakeClock
from led import Led
from mcp9808 import MCP9808
from station import Station
from uplink import Uplink
from urequests import FakeHttp
from wallclock import WallClock
from watchdog import Watchdog
from wifi import Wifi

SERVER = "http://192.168.1.10:8000"
KEY = "KEY123"
MAC = "aa:bb:cc:dd:ee:ff"

# Datasheet (BMP280 rev 1.14, section 3.12) example trimming values and raw readings
BMP_CAL = (27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
BMP_ADC_T = 519888
BMP_ADC_P = 415148


def mcp_register(celsius, alerts=0):
    """The two bytes the MCP9808 returns for a temperature (plus alert bits 15..13)."""
    raw = int(round(celsius * 16)) & 0x1FFF
    raw |= (alerts & 0x7) << 13
    return bytes([raw >> 8, raw & 0xFF])


def bmp_memory(adc_t=BMP_ADC_T, adc_p=BMP_ADC_P, cal=BMP_CAL, chip_id=0x58):
    mem = bytearray(256)
    at = 0x88
    for v in cal:
        v &= 0xFFFF
        mem[at] = v & 0xFF
        mem[at + 1] = v >> 8
        at += 2
    mem[0xD0] = chip_id
    for i, v in enumerate(
        (
            adc_p >> 12,
            (adc_p >> 4) & 0xFF,
            (adc_p & 0xF) << 4,
            adc_t >> 12,
            (adc_t >> 4) & 0xFF,
            (adc_t & 0xF) << 4,
        )
    ):
        mem[0xF7 + i] = v
    return mem


class Rig:
    def __init__(
        self,
        capacity=120,
        spill=None,
        start_ticks=0,
        latency_ms=0,
        interval_ms=60000,
        batch_size=50,
        flush_batches=4,
        sensor="mcp9808",
        celsius=21.5,
        ntp_fails=False,
        unix=None,
    ):
        machine.reset_fakes()
        network.reset()
        self.logs = []
        # unix: the true time at boot, for tests whose readings reach a real server
        self.clock = FakeClock(start_ticks) if unix is None else FakeClock(start_ticks, unix=unix)
        ntptime.reset(self.clock)
        ntptime.fail = ntp_fails
        self.http = FakeHttp(clock=self.clock, latency_ms=latency_ms)
        if sensor == "bmp280":
            self.device = machine.MemoryDevice(bmp_memory())
            self.i2c = machine.I2C(devices_map={0x77: self.device})
            self.sensor = BMP280(self.i2c, self.clock)
            fields = {"temperature": 2, "pressure": 3}
        else:
            self.device = machine.RegisterDevice({5: mcp_register(celsius)})
            self.i2c = machine.I2C(devices_map={0x18: self.device})
            self.sensor = MCP9808(self.i2c)
            fields = {"temperature": 1}
        self.wlan = network.WLAN(network.STA_IF)
        self.watchdog = Watchdog(machine, self.clock, log=self.log)
        self.wdt = machine.WDT.instances[-1]
        self.uplink = Uplink(self.http, SERVER, KEY, MAC, log=self.log)
        self.backlog = Backlog(capacity, spill, log=self.log)
        self.wifi = Wifi(self.wlan, "home", "secret", self.clock, self.watchdog, log=self.log)
        self.wallclock = WallClock(ntptime, self.clock, log=self.log)
        self.led_pin = machine.Pin(0, machine.Pin.OUT)
        self.station = Station(
            self.sensor,
            fields,
            self.uplink,
            self.backlog,
            self.wifi,
            self.wallclock,
            self.clock,
            self.watchdog,
            led=Led(self.led_pin, self.clock),
            interval_ms=interval_ms,
            batch_size=batch_size,
            flush_batches=flush_batches,
            log=self.log,
        )

    def log(self, msg):
        self.logs.append(msg)

    def set_celsius(self, celsius, alerts=0):
        self.device.registers[5] = mcp_register(celsius, alerts)

    def unplug_sensor(self):
        self.i2c.devices.clear()

    def gets(self):
        return [c.url for c in self.http.calls if c.method == "GET"]

    def posts(self):
        return [c for c in self.http.calls if c.method == "POST"]

    def ram(self):
        return self.backlog.peek(100000)
