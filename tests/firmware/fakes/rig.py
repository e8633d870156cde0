"""Register contents of the sensors, shared by the CPython tests."""

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
