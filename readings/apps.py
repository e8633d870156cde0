"""App configuration for readings."""

from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "readings"

    def ready(self) -> None:
        # Connects the signal that keeps rollups true when readings are deleted (admin, shell).
        from readings import rollups  # noqa: F401
