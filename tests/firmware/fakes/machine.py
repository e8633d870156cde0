"""Fake `machine`: Pin, I2C with register-level devices, WDT, Timer, reset()."""


class ResetCalled(SystemExit):
    """machine.reset() never returns on a board; here it raises this instead."""


resets = 0


def reset():
    global resets
    resets += 1
    raise ResetCalled("machine.reset()")


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self.mode = mode
        self._value = 0 if value is None else value
        self.history = []  # every value written, to check blink patterns

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = 1 if v else 0
        self.history.append(self._value)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def lit_count(self, active_low=True):
        """How many times the LED was switched on."""
        on = 0 if active_low else 1
        n = 0
        prev = None
        for v in self.history:
            if v == on and prev != on:
                n += 1
            prev = v
        return n


class RegisterDevice:
    """A device with 16-bit registers, each read on its own (the MCP9808)."""

    def __init__(self, registers):
        self.registers = registers  # {register: bytes}
        self.writes = []

    def read(self, reg, n):
        return bytes(self.registers[reg][:n])

    def write(self, reg, data):
        self.writes.append((reg, bytes(data)))
        self.registers[reg] = bytes(data)


class MemoryDevice:
    """A device with auto-incrementing byte registers (the BMP280)."""

    def __init__(self, memory=None):
        self.memory = bytearray(256) if memory is None else memory
        self.writes = []

    def read(self, reg, n):
        return bytes(self.memory[reg : reg + n])

    def write(self, reg, data):
        self.writes.append((reg, bytes(data)))
        for i in range(len(data)):
            self.memory[reg + i] = data[i]


devices = {}  # address -> device, for I2C objects the firmware creates itself


class I2C:
    def __init__(self, id=-1, scl=None, sda=None, freq=400000, devices_map=None):
        self.scl = scl
        self.sda = sda
        self.devices = devices if devices_map is None else devices_map

    def _device(self, addr):
        if addr not in self.devices:
            raise OSError(19)  # ENODEV: nobody acknowledged the address
        return self.devices[addr]

    def readfrom_mem_into(self, addr, reg, buf):
        data = self._device(addr).read(reg, len(buf))
        for i in range(len(buf)):
            buf[i] = data[i]

    def readfrom_mem(self, addr, reg, n):
        return self._device(addr).read(reg, n)

    def writeto_mem(self, addr, reg, data):
        self._device(addr).write(reg, data)

    def scan(self):
        return sorted(self.devices)


SoftI2C = I2C


class WDT:
    instances = []

    def __init__(self, id=0, timeout=5000):
        if timeout != 5000:
            raise ValueError("timeout must be 5000")  # the ESP8266 port (machine_wdt.c)
        self.timeout = timeout
        self.feeds = 0
        WDT.instances.append(self)

    def feed(self):
        self.feeds += 1


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1
    instances = []

    def __init__(self, id=-1):
        self.id = id
        self.callback = None
        self.period = None
        Timer.instances.append(self)

    def init(self, period=None, mode=PERIODIC, callback=None):
        self.period = period
        self.callback = callback

    def deinit(self):
        self.callback = None

    def fire(self):
        """What the hardware does every `period` ms."""
        if self.callback is not None:
            self.callback(self)


PWRON_RESET, WDT_RESET, SOFT_RESET, DEEPSLEEP_RESET = 0, 1, 4, 5
cause = PWRON_RESET
rtc_memory = b""


def reset_cause():
    return cause


class RTC:
    def memory(self, data=None):
        global rtc_memory
        if data is None:
            return rtc_memory
        rtc_memory = bytes(data)


def reset_fakes():
    global resets, cause, rtc_memory
    resets = 0
    cause = PWRON_RESET
    rtc_memory = b""
    devices.clear()
    WDT.instances = []
    Timer.instances = []
