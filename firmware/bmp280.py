"""Bosch BMP280 I2C temperature and pressure sensor driver (forced mode)."""

ADDRESS = 0x77          # Adafruit breakout default; 0x76 when SDO is tied to GND
REG_CALIB = 0x88        # 24 bytes of factory trimming values dig_T1..dig_P9
REG_CHIP_ID = 0xD0
REG_STATUS = 0xF3
REG_CTRL_MEAS = 0xF4
REG_DATA = 0xF7         # press_msb .. temp_xlsb, 6 bytes
CHIP_IDS = (0x58, 0x60)  # BMP280, and the BME280 which has the same T/P part
# osrs_t = x2, osrs_p = x16, forced mode: the datasheet's "indoor navigation"
# oversampling without the IIR filter; one conversion takes at most ~44 ms.
CTRL_FORCED = (0b010 << 5) | (0b101 << 2) | 0b01
SKIPPED = 0x80000       # value the chip reports for a skipped measurement


def _u16(b, i):
    return b[i] | (b[i + 1] << 8)


def _s16(b, i):
    v = _u16(b, i)
    return v - 65536 if v & 0x8000 else v


def _div(a, b):
    # C integer division truncates toward zero; Python's // floors.
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def parse_calibration(b):
    """The 12 trimming parameters, in datasheet order (table 17)."""
    cal = [_u16(b, 0), _s16(b, 2), _s16(b, 4), _u16(b, 6)]
    for i in range(8, 24, 2):
        cal.append(_s16(b, i))
    return cal


def compensate_t(adc_t, cal):
    """Datasheet 3.11.3 int32 formula: (temperature in 0.01 degC, t_fine)."""
    t1, t2, t3 = cal[0], cal[1], cal[2]
    var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11
    var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14
    t_fine = var1 + var2
    return (t_fine * 5 + 128) >> 8, t_fine


def compensate_p(adc_p, t_fine, cal):
    """Datasheet 3.11.3 int64 formula: pressure in Pa as Q24.8 (Pa * 256).

    Python ints do not overflow, and the datasheet sized the formula so that
    no intermediate leaves the int64 range, so no masking is needed.
    """
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = cal[3:12]
    var1 = t_fine - 128000
    var2 = var1 * var1 * p6
    var2 = var2 + ((var1 * p5) << 17)
    var2 = var2 + (p4 << 35)
    var1 = ((var1 * var1 * p3) >> 8) + ((var1 * p2) << 12)
    var1 = (((1 << 47) + var1) * p1) >> 33
    if var1 == 0:
        return 0    # the datasheet's guard against division by zero
    p = 1048576 - adc_p
    p = _div(((p << 31) - var2) * 3125, var1)
    var1 = (p9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (p8 * p) >> 19
    return ((p + var1 + var2) >> 8) + (p7 << 4)


class BMP280:
    def __init__(self, i2c, clock, address=ADDRESS):
        self._i2c = i2c
        self._clock = clock
        self._address = address
        self._cal = None          # read lazily so a missing chip only fails read()
        self._buf = bytearray(6)

    def _setup(self):
        chip = self._i2c.readfrom_mem(self._address, REG_CHIP_ID, 1)[0]
        if chip not in CHIP_IDS:
            raise OSError("bmp280: unexpected chip id 0x%02x" % chip)
        self._cal = parse_calibration(self._i2c.readfrom_mem(self._address, REG_CALIB, 24))

    def measure(self):
        """One forced conversion: (temperature in degC, pressure in hPa)."""
        if self._cal is None:
            self._setup()
        i2c, addr = self._i2c, self._address
        i2c.writeto_mem(addr, REG_CTRL_MEAS, bytes([CTRL_FORCED]))
        self._clock.sleep_ms(45)
        for _ in range(10):   # bit 3 "measuring" stays set until the result is ready
            if not i2c.readfrom_mem(addr, REG_STATUS, 1)[0] & 0x08:
                break
            self._clock.sleep_ms(5)
        b = self._buf
        i2c.readfrom_mem_into(addr, REG_DATA, b)
        adc_p = (b[0] << 12) | (b[1] << 4) | (b[2] >> 4)
        adc_t = (b[3] << 12) | (b[4] << 4) | (b[5] >> 4)
        if adc_t == SKIPPED or adc_p == SKIPPED:
            raise OSError("bmp280: no measurement (skipped)")
        t, t_fine = compensate_t(adc_t, self._cal)
        p = compensate_p(adc_p, t_fine, self._cal)
        return t / 100.0, round(p / 25600.0, 2)   # Q24.8 Pa -> hPa

    def read(self):
        t, p = self.measure()
        return [("temperature", t), ("pressure", p)]
