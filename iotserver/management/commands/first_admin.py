"""first_admin: make sure someone can log in to the admin, without ever waiting on a missing terminal."""

from __future__ import annotations

import os
import sys

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the first admin account if there is none: from the environment, or by asking at a terminal."
    )

    def handle(self, *args, **options) -> str:
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            return ""
        if os.environ.get("DJANGO_SUPERUSER_USERNAME") and os.environ.get("DJANGO_SUPERUSER_PASSWORD"):
            call_command(
                "createsuperuser", interactive=False, email=os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
            )
            return "Admin account created from DJANGO_SUPERUSER_USERNAME."
        if sys.stdin.isatty():
            self.stdout.write("No admin account yet. Create one now (Ctrl-C to skip):")
            try:
                call_command("createsuperuser")
            except KeyboardInterrupt:
                self.stdout.write("\nSkipped.")
            return ""
        return (
            "No admin account yet, and no terminal to ask at. Run `make admin` in a terminal, or set "
            "DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD and run `make run` again."
        )
