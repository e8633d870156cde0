"""import_flask_db: the original Flask server's SQLite file (table `data`) into devices; safe to re-run."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devices.models import FIELD_NUMBERS, Device
from iotserver.refusals import Refused
from iotserver.times import parse_zone
from readings import imports

logger = logging.getLogger(__name__)


def parse_target(text: str) -> tuple[int, str, int]:
    """'1=Back porch' or '2=Living room:1': the Flask field, the device, the device's field."""
    number, sep, rest = text.partition("=")
    device, _, field = rest.rpartition(":") if rest.rpartition(":")[2].isdigit() else (rest, "", "")
    if not sep or not number.isdigit() or not device:
        raise CommandError(f"--field takes N=DEVICE or N=DEVICE:M, not {text!r}")
    target_field = int(field) if field else int(number)
    if target_field not in FIELD_NUMBERS:
        raise CommandError(f"field numbers run from 1 to 8, not {target_field}")
    return int(number), device, target_field


class Command(BaseCommand):
    help = "Import the Flask server's data.db, one --field N=DEVICE per field; already stored is skipped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the Flask server's SQLite file (data.db)")
        parser.add_argument(
            "--field",
            action="append",
            required=True,
            help="N=DEVICE[:M]: its field N goes to DEVICE's field M (default N); "
            "the original boards: --field '1=Back porch' --field '2=Living room'",
        )
        parser.add_argument(
            "--naive-zone",
            default=imports.FLASK_NAIVE_ZONE,
            help="the zone of its early rows, which hold local time without one (default %(default)s)",
        )

    def handle(self, *args, **options) -> str:
        targets = {}
        for text in options["field"]:
            number, name, target_field = parse_target(text)
            try:
                targets[number] = (Device.objects.get(name=name), target_field)
            except Device.DoesNotExist:
                raise CommandError(f"no device named {name!r}") from None
        if not options["file"].is_file():
            raise CommandError(f"no file {options['file']}")
        try:
            report = imports.store(
                imports.flask_db(
                    options["file"], targets=targets, naive_zone=parse_zone(options["naive_zone"])
                )
            )
        except Refused as refusal:
            raise CommandError(refusal.reason) from None
        logger.info("imported the Flask database: %s", report.lines()[0])
        return "\n".join(report.lines())
