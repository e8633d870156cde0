"""simulate_stations: an inside and an outside station posting made-up readings to a running server."""

from __future__ import annotations

import json
import logging
import random
import signal
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devices.models import INSIDE, OUTSIDE, TEMPERATURE, Device
from devices.services import IssuedKey, device_register, key_issue, key_revoke
from devices.simulated_weather import sensor_reading, temperature
from readings.services import device_delete

logger = logging.getLogger(__name__)

# Locally administered MACs (second digit 2): no real board has them. Fields as on the original boards.
DEMO_STATIONS = [
    ("Simulated outside", "02:00:00:00:00:01", OUTSIDE, 1),
    ("Simulated inside", "02:00:00:00:00:02", INSIDE, 2),
]
BATCH_LIMIT = 1000  # the most the JSON form takes in one request
BOARD_CADENCE_S = 60  # backfilled history is spaced like a real board's readings, at the least


@dataclass
class SimulatedStation:
    device: Device
    field: int
    issued: IssuedKey

    @property
    def key(self) -> str:
        return self.issued.key


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Post realistic readings of an inside and an outside station to a running server, over HTTP."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
        parser.add_argument(
            "--devices",
            nargs="+",
            metavar="NAME",
            help="registered devices to post as (default: 'Simulated outside' and 'Simulated inside', "
            "created if missing)",
        )
        parser.add_argument("--interval", type=float, default=60, help="seconds between rounds of readings")
        parser.add_argument(
            "--backfill-days", type=int, default=0, help="first send this many days of history, in batches"
        )
        parser.add_argument(
            "--count", type=int, help="stop after this many rounds (default: run until Ctrl-C)"
        )
        parser.add_argument("--seed", type=int, help="repeatable noise")
        parser.add_argument(
            "--remove",
            action="store_true",
            help="delete the demo devices (or those named by --devices) with all their readings, and stop",
        )

    def handle(self, *args, **options) -> None:
        if options["interval"] < 0 or options["backfill_days"] < 0 or (options["count"] or 0) < 0:
            raise CommandError("--interval, --backfill-days and --count cannot be negative")
        if options["remove"]:
            self.remove(options["devices"] or [name for name, *_ in DEMO_STATIONS])
            return
        self.url = options["url"].rstrip("/")
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.rng = random.Random(options["seed"])
        stations = self.stations(options["devices"])
        # SIGTERM (systemd, kill, a CI runner) ends the run like Ctrl-C, so the keys are revoked.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            if options["backfill_days"]:
                step = max(int(options["interval"]), BOARD_CADENCE_S)
                for station in stations:
                    self.backfill(station, days=options["backfill_days"], step_s=step)
            self.post_live(stations, interval=options["interval"], rounds=options["count"])
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            # The keys were for this run only; a simulator left running elsewhere stops with them.
            for station in stations:
                key_revoke(api_key=station.issued.api_key)

    def remove(self, names: list[str]) -> None:
        for name in names:
            device = Device.objects.filter(name=name).first()
            if device is None:
                self.stdout.write(f"No device {name!r}: nothing to remove.")
                continue
            deleted = device_delete(device=device)
            self.stdout.write(f"Removed {name!r} and its {deleted} readings.")

    def stations(self, names: list[str] | None) -> list[SimulatedStation]:
        """The stations of this run, each with a key issued for it; checked before any key is issued."""
        if names:
            devices = []
            for name in names:
                try:
                    devices.append(Device.objects.get(name=name))
                except Device.DoesNotExist:
                    raise CommandError(f"no device named {name!r}") from None
        else:
            devices = []
            for name, mac, placement, field in DEMO_STATIONS:
                device = Device.objects.filter(name=name).first()
                if device is None:
                    issued = device_register(
                        name=name, mac=mac, placement=placement, location="Simulator", temperature_field=field
                    )
                    key_revoke(api_key=issued.api_key)  # a key for each run is issued below
                    device = issued.api_key.device
                    self.stdout.write(f"Registered the demo device {name!r} (temperature on field {field}).")
                devices.append(device)
        fields = [self.temperature_field(device) for device in devices]
        return [
            SimulatedStation(device=device, field=field, issued=key_issue(device=device))
            for device, field in zip(devices, fields, strict=True)
        ]

    def temperature_field(self, device: Device) -> int:
        field = device.fields.filter(kind=TEMPERATURE).order_by("number").first()
        if field is None:
            raise CommandError(f"device {device.name!r} has no temperature field")
        if not device.is_active:
            raise CommandError(f"device {device.name!r} is inactive: the server would refuse it")
        return field.number

    def reading(self, station: SimulatedStation, at: datetime) -> float:
        return sensor_reading(temperature(station.device.placement, at, self.zone), self.rng)

    def backfill(self, station: SimulatedStation, *, days: int, step_s: int) -> None:
        """Days of history through the JSON form, stamped.

        Stamps fall on multiples of the step, so a re-run stores nothing twice (the server skips
        a stamped reading it already has)."""
        end = datetime.fromtimestamp(time.time() // step_s * step_s, UTC)
        total = days * 86400 // step_s
        stamps = [end - timedelta(seconds=step_s * k) for k in range(total - 1, -1, -1)]
        for start in range(0, total, BATCH_LIMIT):
            batch = [
                {"field": station.field, "data": self.reading(station, at), "recorded_at": at.isoformat()}
                for at in stamps[start : start + BATCH_LIMIT]
            ]
            status, body = self.call(
                self.url + "/api/readings/",
                json.dumps({"mac": station.device.mac, "readings": batch}).encode(),
                {"Content-Type": "application/json", "Authorization": f"Api-Key {station.key}"},
            )
            if status == 0:
                raise CommandError(f"no server at {self.url} ({body}); start it with `make run`")
            if status != 201:
                raise CommandError(
                    f"the server refused the history of {station.device.name}: {status} {body}"
                )
        self.stdout.write(
            f"Backfilled {total} readings of {station.device.name} ({days} days, every {step_s} s)."
        )

    def post_live(self, stations: list[SimulatedStation], *, interval: float, rounds: int | None) -> None:
        """One station-URL GET per station per round, on a steady cadence, as the boards do."""
        started = time.monotonic()
        for number in count(1) if rounds is None else range(1, rounds + 1):
            now = datetime.now(UTC)
            said = []
            for station in stations:
                value = self.reading(station, now)
                status, body = self.call(
                    f"{self.url}/update/API_key={station.key}/mac={station.device.mac}"
                    f"/field={station.field}/data={value}"
                )
                said.append(
                    f"{station.device.name} {value:g}" + ("" if status == 200 else f" ({status} {body})")
                )
            self.stdout.write(f"{now.astimezone(self.zone):%H:%M:%S} " + ", ".join(said))
            if rounds is not None and number == rounds:
                break
            time.sleep(max(0.0, started + number * interval - time.monotonic()))

    def call(self, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode().strip()
        except OSError as error:  # the server is down: say so and carry on, as a board would
            return 0, f"server not answering: {error}"
