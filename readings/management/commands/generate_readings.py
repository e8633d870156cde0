"""Fill the database with years of synthetic readings in minutes, for benchmarks and trying the charts.

This is the one place that stores readings around `readings.services.record_readings`, on
purpose: ten million readings through the write path (rules, duplicate checks, one transaction
per batch of 1,000) would take hours, and none of them is a reading a board sent and waits to
see acknowledged. The database generates the rows itself (a recursive CTE on SQLite,
generate_series on PostgreSQL) in large transactions; the rollups are rebuilt afterwards.
"""

from __future__ import annotations

import logging
import math
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.timezone import now

from devices.models import INSIDE, OUTSIDE, TEMPERATURE, Device
from devices.services import device_register
from readings.models import Reading
from readings.rollups import epoch_seconds, rollups_rebuild

logger = logging.getLogger(__name__)

CHUNK = 1_000_000  # rows per statement and transaction: progress to show, and bounded undo logs
DAY, YEAR = 86400, 365.2425 * 86400


def demo_device(number: int) -> Device:
    """Demo station N, made once: odd ones outside, even ones inside, temperature on field 1."""
    name = f"Demo station {number}"
    found = Device.objects.filter(name=name).first()
    if found is not None:
        return found
    return device_register(
        name=name,
        # Locally administered MACs (02:...), which no real board carries.
        mac=f"02:00:00:00:{number // 256:02x}:{number % 256:02x}",
        placement=OUTSIDE if number % 2 else INSIDE,
        location="Synthetic history",
    ).api_key.device


def value_sql(outside: bool, seconds: str, noise: str) -> str:
    """A plausible temperature at Unix time `seconds`: seasons, days and a little sensor noise (°C)."""
    year = f"sin(2 * {math.pi} * ({seconds}) / {YEAR} - 1.9)"  # coldest in mid-January
    day = f"sin(2 * {math.pi} * ({seconds}) / {DAY} - 2.0)"  # warmest mid-afternoon
    if outside:
        return f"(11 + 10 * {year} + 5 * {day} + {noise})"
    return f"(21 + 1.5 * {year} + 1 * {day} + 0.5 * {noise})"


class Command(BaseCommand):
    help = "Store years of synthetic minute-by-minute temperatures for demo stations, by bulk insertion."

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=2, help="how many demo stations (default 2)")
        parser.add_argument("--years", type=float, default=10, help="how much history each gets (default 10)")
        parser.add_argument("--interval", type=int, default=60, help="seconds between readings (default 60)")
        parser.add_argument("--rows", type=int, help="instead of --years: this many readings in all")

    def handle(self, *args, **options) -> str:
        devices, interval = options["devices"], options["interval"]
        if devices < 1 or interval < 1:
            raise CommandError("--devices and --interval must be at least 1")
        if options["rows"]:
            per_device = options["rows"] // devices
        else:
            per_device = int(options["years"] * YEAR // interval)
        end = epoch_seconds(now()) // interval * interval
        started = time.monotonic()
        stored, filled = 0, []
        for number in range(1, devices + 1):
            device = demo_device(number)
            if Reading.objects.filter(device=device).exists():
                self.stdout.write(f"{device.name} has readings already; left as it is")
                continue
            field = device.fields.filter(kind=TEMPERATURE).order_by("number").first()
            assert field is not None, "demo stations are registered with a temperature field"
            for first in range(0, per_device, CHUNK):
                count = min(CHUNK, per_device - first)
                self._insert(device, field.number, end - (per_device - first) * interval, interval, count)
                stored += count
                self.stdout.write(f"{device.name}: {first + count:,} of {per_device:,} readings")
            Device.objects.filter(pk=device.pk).update(last_seen=now())
            filled.append(device.pk)
        if filled:
            rollups_rebuild(device_ids=filled)
            with connection.cursor() as cursor:
                # Fresh statistics, so the planner picks the indexes at this size.
                cursor.execute("ANALYZE")
        return f"{stored:,} readings stored in {time.monotonic() - started:.0f} s; rollups rebuilt"

    def _insert(self, device: Device, field: int, start: int, interval: int, count: int) -> None:
        outside = device.placement == OUTSIDE
        sqlite = connection.vendor == "sqlite"
        if sqlite:
            with connection.cursor() as cursor:
                # Safe here and only here: an offline bulk load that is simply re-run if the
                # machine dies. Acknowledged readings keep synchronous=FULL (iotserver/settings.py),
                # and this connection's setting is put back below.
                cursor.execute("PRAGMA synchronous=OFF")
        with transaction.atomic(), connection.cursor() as cursor:
            if sqlite:
                moment = f"(%s + n * {int(interval)})"
                noise = "((abs(random()) %% 1000) / 1000.0 - 0.5)"  # %% survives the parameters
                cursor.execute(
                    "INSERT INTO readings_reading (device_id, field, value, recorded_at, stamped_by_device) "
                    "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < %s) "
                    f"SELECT %s, %s, round({value_sql(outside, moment, noise)}, 4), "
                    f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {moment}, 'unixepoch'), 0 FROM k",
                    [count - 1, device.pk, field, start, start, start],
                )
            else:
                # As above: nothing acknowledged waits on this transaction.
                cursor.execute("SET LOCAL synchronous_commit = off")
                moment = f"(%s + n * {int(interval)})"
                value = value_sql(outside, moment, "(random() - 0.5)")
                cursor.execute(
                    "INSERT INTO readings_reading (device_id, field, value, recorded_at, stamped_by_device) "
                    f"SELECT %s, %s, round(CAST({value} AS numeric), 4), "
                    f"to_timestamp({moment}), false FROM generate_series(0, %s) AS n",
                    [device.pk, field, start, start, start, count - 1],
                )
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")
