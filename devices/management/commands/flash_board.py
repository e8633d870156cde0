"""flash_board: put MicroPython, the station firmware and a fresh config.py on a board over USB."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devices.flashing import check_image, flash_plan, flash_run, missing_port
from devices.management.commands.board_config import add_board_arguments, device_named, server_url_for_boards

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Erase a board, write MicroPython, copy the firmware and its config.py (with a new API key)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--port", required=True, help="the board's serial port, e.g. /dev/ttyUSB0 or COM4"
        )
        parser.add_argument(
            "--firmware-image", required=True, help="the MicroPython .bin for the ESP8266 (micropython.org)"
        )
        parser.add_argument("--baud", type=int, default=460800, help="flashing speed after the ROM handshake")
        parser.add_argument("--dry-run", action="store_true", help="print every step, touch nothing")
        add_board_arguments(parser)

    def handle(self, *args, **options) -> None:
        device = device_named(options["device"])
        image = Path(options["firmware_image"])
        try:
            check_image(image)
        except ValueError as error:
            raise CommandError(str(error)) from None
        port_problem = missing_port(options["port"])
        if port_problem and not options["dry_run"]:
            raise CommandError(port_problem)
        if port_problem:
            self.stderr.write(f"Warning: {port_problem}")
        if options["interval"] < 1:
            raise CommandError("--interval must be 1 second or more")
        try:
            steps = flash_plan(
                device=device,
                port=options["port"],
                image=image,
                baud=options["baud"],
                server_url=server_url_for_boards(options, self.stderr),
                interval_s=options["interval"],
                ssid=options["ssid"],
                wifi_password=options["wifi_password"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["dry_run"]:
            self.stdout.write(f"Dry run: nothing is touched and no key is issued. {len(steps)} steps:")
            for number, step in enumerate(steps, 1):
                self.stdout.write(f"{number}. would {step.says}")
            return
        flash_run(steps, say=self.stdout.write)
        logger.info("flashed the board of device %s on %s", device.name, options["port"])
        self.stdout.write(f"Done: {device.name} is flashed and restarting.")
