"""A system check: a mistyped rate limit stops `manage.py check` and `migrate`, not every request."""

from django.conf import settings
from django.core.checks import Error, register

from ratelimits.throttles import parse_rate

RATE_SETTINGS = ("DEVICE_RATE_LIMIT", "UNKNOWN_KEY_RATE_LIMIT", "LOGIN_FAILURE_LIMIT")


@register()
def rate_settings_parse(app_configs, **kwargs):
    errors = []
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name))
        except ValueError as error:
            errors.append(Error(f"{name}: {error}", id="ratelimits.E001"))
    return errors
