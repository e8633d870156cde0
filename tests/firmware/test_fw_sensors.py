"""Sensor maths: MCP9808 register decoding and BMP280 compensation (datasheet values)."""

import bmp280
import machine
import mcp9808
import pytest
import rig
from fakeclock import FakeClock


@pytest.mark.parametrize(
    "b0, b1, celsius",
    [
        (0x01, 0x58, 21.5),  # positive
        (0x01, 0x59, 21.5625),  # positive, 1/16 step
        (0x00, 0x00, 0.0),  # zero
        (0x1F, 0xFF, -0.0625),  # smallest negative
        (0x1E, 0x80, -24.0),  # negative
        (0x07, 0xD0, 125.0),  # top of the range
    ],
)
def test_mcp9808_decode(b0, b1, celsius):
    assert mcp9808.decode(b0, b1) == celsius


@pytest.mark.parametrize("alerts", [0b001, 0b010, 0b100, 0b111])
def test_mcp9808_alert_flags_are_not_temperature(alerts):
    positive = rig.mcp_register(21.5, alerts)
    negative = rig.mcp_register(-24.0, alerts)
    assert positive[0] & 0xE0 and negative[0] & 0xE0  # the flags really are set
    assert mcp9808.decode(positive[0], positive[1]) == 21.5
    assert mcp9808.decode(negative[0], negative[1]) == -24.0


def test_mcp9808_reads_register_5_at_0x18():
    dev = machine.RegisterDevice({5: bytes([0x01, 0x94]), 6: b"\x00\x54"})
    sensor = mcp9808.MCP9808(machine.I2C(devices_map={0x18: dev}))
    assert sensor.temperature() == 25.25
    assert sensor.read() == [("temperature", 25.25)]


def test_mcp9808_missing_raises_oserror():
    sensor = mcp9808.MCP9808(machine.I2C(devices_map={}))
    with pytest.raises(OSError):
        sensor.read()


def float_compensation(adc_t, adc_p, cal):
    """The datasheet's double-precision formulas (section 8.1), as a cross-check."""
    t1, t2, t3, p1, p2, p3, p4, p5, p6, p7, p8, p9 = cal
    var1 = (adc_t / 16384.0 - t1 / 1024.0) * t2
    var2 = ((adc_t / 131072.0 - t1 / 8192.0) * (adc_t / 131072.0 - t1 / 8192.0)) * t3
    t_fine = var1 + var2
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * p6 / 32768.0
    var2 = var2 + var1 * p5 * 2.0
    var2 = var2 / 4.0 + p4 * 65536.0
    var1 = (p3 * var1 * var1 / 524288.0 + p2 * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * p1
    p = 1048576.0 - adc_p
    p = (p - var2 / 4096.0) * 6250.0 / var1
    var1 = p9 * p * p / 2147483648.0
    var2 = p * p8 / 32768.0
    return t_fine / 5120.0, p + (var1 + var2 + p7) / 16.0


def test_bmp280_calibration_parsing():
    mem = rig.bmp_memory()
    assert bmp280.parse_calibration(mem[0x88 : 0x88 + 24]) == list(rig.BMP_CAL)


def test_bmp280_temperature_matches_datasheet_example():
    t, t_fine = bmp280.compensate_t(rig.BMP_ADC_T, list(rig.BMP_CAL))
    assert t_fine == 128422  # datasheet: t_fine = 128422
    assert t == 2508  # datasheet: 25.08 degC


def test_bmp280_pressure_matches_datasheet_example():
    cal = list(rig.BMP_CAL)
    _, t_fine = bmp280.compensate_t(rig.BMP_ADC_T, cal)
    pa = bmp280.compensate_p(rig.BMP_ADC_P, t_fine, cal) / 256.0
    assert pa == pytest.approx(100653.27, abs=0.1)  # datasheet: 100653.27 Pa
    _, float_pa = float_compensation(rig.BMP_ADC_T, rig.BMP_ADC_P, cal)
    assert pa == pytest.approx(float_pa, abs=0.1)


@pytest.mark.parametrize("adc_t, adc_p", [(400000, 300000), (600000, 500000), (519888, 415148)])
def test_bmp280_integer_and_float_formulas_agree(adc_t, adc_p):
    cal = list(rig.BMP_CAL)
    t, t_fine = bmp280.compensate_t(adc_t, cal)
    pa = bmp280.compensate_p(adc_p, t_fine, cal) / 256.0
    float_t, float_pa = float_compensation(adc_t, adc_p, cal)
    assert t / 100.0 == pytest.approx(float_t, abs=0.01)
    assert pa == pytest.approx(float_pa, abs=0.5)


def test_bmp280_driver_reads_temperature_and_hpa_in_forced_mode():
    dev = machine.MemoryDevice(rig.bmp_memory())
    sensor = bmp280.BMP280(machine.I2C(devices_map={0x77: dev}), FakeClock())
    assert sensor.read() == [("temperature", 25.08), ("pressure", 1006.53)]
    assert (0xF4, bytes([bmp280.CTRL_FORCED])) in dev.writes
    assert bmp280.CTRL_FORCED & 0b11 == 0b01  # forced mode: one conversion, then sleep


def test_bmp280_wrong_chip_and_skipped_measurement():
    wrong_chip = machine.MemoryDevice(rig.bmp_memory(chip_id=0x55))
    sensor = bmp280.BMP280(machine.I2C(devices_map={0x77: wrong_chip}), FakeClock())
    with pytest.raises(OSError):
        sensor.read()
    skipped = machine.MemoryDevice(rig.bmp_memory(adc_t=0x80000))
    sensor = bmp280.BMP280(machine.I2C(devices_map={0x77: skipped}), FakeClock())
    with pytest.raises(OSError):
        sensor.read()
