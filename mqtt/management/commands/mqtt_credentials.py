"""mqtt_credentials: issue a device's (or Home Assistant's) broker login; username and password last."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from devices.models import Device
from mqtt.accounts import credentials_issue, home_assistant_credentials_issue, reader_credentials_issue
from mqtt.broker import DynamicSecurity, DynamicSecurityError


class Command(BaseCommand):
    help = "Issue MQTT credentials on the broker (MQTT_URL); prints the username and the password last."

    def add_arguments(self, parser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--device", help="The device's name: it may publish on its own topics only.")
        parser.add_argument(
            "--read",
            action="store_true",
            help="With --device: a login that only reads its channel's subscribe topics.",
        )
        who.add_argument(
            "--home-assistant",
            action="store_true",
            help="A login for Home Assistant: it reads discovery and the stations' states.",
        )

    def handle(
        self, *args, device: str | None = None, home_assistant: bool = False, read: bool = False, **options
    ) -> str:
        found = None
        if device is not None:
            found = Device.objects.filter(name=device).first()
            if found is None:
                raise CommandError(f"no device named {device!r}")
        try:
            with DynamicSecurity() as broker:
                if found is None:
                    issued = home_assistant_credentials_issue(broker=broker)
                elif read:
                    issued = reader_credentials_issue(device=found, broker=broker)
                else:
                    issued = credentials_issue(device=found, broker=broker)
        except (DynamicSecurityError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from None
        if found is not None and read:
            self.stdout.write(f"This login reads channels/{found.pk}/subscribe/# only. Shown once:")
        elif found is not None:
            self.stdout.write(
                f"{found.name} publishes to channels/{found.pk}/publish, "
                f"channels/{found.pk}/publish/fields/field<n> or weather/{found.mac}/readings; "
                "any earlier MQTT password of it no longer works. Shown once:"
            )
        return f"{issued.username}\n{issued.password}"
