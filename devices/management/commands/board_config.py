"""board_config: print (or write) the config.py for one board, with a freshly issued API key."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devices.board_config import DEFAULT_INTERVAL_S, board_config_issue, boards_url, unreachable_warning
from devices.models import Device

logger = logging.getLogger(__name__)


def device_named(name: str) -> Device:
    try:
        return Device.objects.get(name=name)
    except Device.DoesNotExist:
        raise CommandError(f"no device named {name!r}") from None


def server_url_for_boards(options, stderr) -> str:
    """The --server-url given, or the server's own idea of it; warns when boards could not reach it."""
    url = options["server_url"] or boards_url()
    warning = unreachable_warning(url)
    if warning:
        stderr.write(f"Warning: {warning}")
    return url


def add_board_arguments(parser) -> None:
    """The options board_config and flash_board share."""
    parser.add_argument("--device", required=True, help="the device's name, as in the admin")
    parser.add_argument(
        "--server-url",
        help="the address boards reach this server at (default: SITE_URL, else this machine's LAN "
        "address and gunicorn's port)",
    )
    parser.add_argument("--ssid", help="the WiFi network's name (default: left for you to fill in)")
    parser.add_argument("--wifi-password")
    parser.add_argument("--interval", type=int, default=DEFAULT_INTERVAL_S, help="seconds between readings")


class Command(BaseCommand):
    help = "Make the config.py for one board; it carries a new API key that is shown nowhere else."

    def add_arguments(self, parser) -> None:
        add_board_arguments(parser)
        parser.add_argument("--output", help="write to this file instead of printing it")
        parser.add_argument("--force", action="store_true", help="write over an existing --output file")

    def handle(self, *args, **options) -> None:
        device = device_named(options["device"])
        if options["interval"] < 1:
            raise CommandError("--interval must be 1 second or more")
        if options["output"] and Path(options["output"]).exists() and not options["force"]:
            # Checked before a key is issued: a second run must not leave a first key working unseen.
            raise CommandError(f"{options['output']} exists; --force writes over it (its key stays valid)")
        try:
            config = board_config_issue(
                device=device,
                server_url=server_url_for_boards(options, self.stderr),
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
