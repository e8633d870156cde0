"""MCP9808 I2C temperature sensor driver (ambient temperature register only)."""

ADDRESS = 0x18          # 24, with A0..A2 tied low as on the Adafruit breakout
REG_AMBIENT = 5         # ambient temperature register, 16 bits, big-endian


def decode(b0, b1):
    """Turn the two register bytes into degrees Celsius.

    Bits 15..13 are the alert flags (T_crit, T_upper, T_lower), not
    temperature, so they are masked off; bit 12 is the sign; bits 11..0 are
    the magnitude in 1/16 degree steps (two's complement over 13 bits).
    """
    value = b0 << 8 | b1
    temp = (value & 0xFFF) / 16.0
    if value & 0x1000:
        temp -= 256.0
    return temp


class MCP9808:
    def __init__(self, i2c, address=ADDRESS):
        self._i2c = i2c
        self._address = address
        self._buf = bytearray(2)   # reused so a reading allocates nothing

    def temperature(self):
        # OSError (ENODEV / ETIMEDOUT) when the sensor is unplugged: the caller decides
        self._i2c.readfrom_mem_into(self._address, REG_AMBIENT, self._buf)
        return decode(self._buf[0], self._buf[1])

    def read(self):
        """Readings as (quantity, value) pairs, the common sensor interface."""
        return [("temperature", self.temperature())]
