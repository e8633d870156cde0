"""Password guessing: after LOGIN_FAILURE_LIMIT failed logins, that name and that address are locked out.

Covers every login form (the admin's and the household's), because it sits in authentication
itself: LockoutBackend is the first backend, and failures are counted from Django's
user_login_failed signal.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from iotserver.credentials import client_address
from ratelimits.throttles import count_request, current_count, setting_rate


def _buckets(request, username: object) -> list[str]:
    buckets = [f"login-user:{str(username or '').lower()}"]
    if request is not None:
        buckets.append(f"login:{client_address(request)}")
    return buckets


def locked_out(request, username: object) -> bool:
    rate = setting_rate("LOGIN_FAILURE_LIMIT")
    if rate is None:
        return False
    return any(current_count(bucket, rate)[0] >= rate.count for bucket in _buckets(request, username))


class LockoutBackend(BaseBackend):
    """While a name or an address is locked out, no password is even tried, right or wrong."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if locked_out(request, username):
            raise PermissionDenied("too many failed logins")  # stops authenticate(); the form refuses
        return None

    def get_user(self, user_id):
        # Django's test client logs in through the first backend; the session must still load.
        return ModelBackend().get_user(user_id)


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs):
    rate = setting_rate("LOGIN_FAILURE_LIMIT")
    if rate is None:
        return
    for bucket in _buckets(request, credentials.get("username")):
        count_request(bucket, rate)
