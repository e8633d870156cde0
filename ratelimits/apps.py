"""App configuration for rate limits."""

from django.apps import AppConfig


class RateLimitsConfig(AppConfig):
    name = "ratelimits"
    verbose_name = "Rate limits"

    def ready(self) -> None:
        from ratelimits import checks  # noqa: F401 - registers the check
