"""board_config: print (or write) the config.py for one board, with a freshly issued API key."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devices.board_config import DEFAULT_INTERVAL_S, board_config_issue, default_server_url
from devices.models import Device

logger = logging.getLogger(__name__)


def device_named(name: str) -> Device:
    try:
        return Device.objects.get(name=name)
    except Device.DoesNotExist:
        raise CommandError(f"no device named {name!r}") from None


def add_board_arguments(parser) -> None:
    """The options board_config and flash_board share."""
    parser.add_argument("--device", required=True, help="the device's name, as in the admin")
    parser.add_argument(
        "--server-url", help="the address boards reach this server at (default: http://<this machine>:8000)"
    )
    parser.add_argument("--ssid", help="the WiFi network's name (default: left for you to fill in)")
    parser.add_argument("--wifi-password")
    parser.add_argument("--interval", type=int, default=DEFAULT_INTERVAL_S, help="seconds between readings")


class Command(BaseCommand):
    help = "Make the config.py for one board; it carries a new API key that is shown nowhere else."

    def add_arguments(self, parser) -> None:
        add_board_arguments(parser)
        parser.add_argument("--output", help="write to this file instead of printing it")

    def handle(self, *args, **options) -> None:
        device = device_named(options["device"])
        if options["interval"] < 1:
            raise CommandError("--interval must be 1 second or more")
        try:
            config = board_config_issue(
                device=device,
                server_url=options["server_url"] or default_server_url(),
                interval_s=options["interval"],
                ssid=options["ssid"],
                wifi_password=options["wifi_password"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        logger.info("issued a key for device %s in a new config.py", device.name)
        if options["output"]:
            Path(options["output"]).write_text(config)
            self.stderr.write(f"Wrote {options['output']}; it holds the new API key of {device.name}.")
        else:
            self.stdout.write(config, ending="")
