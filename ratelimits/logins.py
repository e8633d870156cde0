"""Password guessing, on top of django-axes: what counts as one name, and the password-change form.

django-axes (configured in settings from LOGIN_FAILURE_LIMIT) counts failed logins on every login
form, since it sits in authentication itself. Django's password-change form checks the old
password without authenticating, so it would let a borrowed session guess it forever; here its
failures count as failed logins too, and a locked-out name cannot try at all.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed


def login_name(request, credentials: dict | None) -> str:
    """The name a failure counts against: "ALEX" and "alex" are one person."""
    source = credentials if credentials else getattr(request, "POST", {})
    return str(source.get("username") or "").strip().lower()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, which also lets through authenticate() without a request: a script or
    `manage.py shell` checking a password is no login form, and has no address to lock out."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class GuardedPasswordChangeForm(PasswordChangeForm):
    def __init__(self, user, *args, request=None, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        credentials = {"username": self.user.get_username()}
        if not AxesProxyHandler.is_allowed(self.request, credentials):
            raise forms.ValidationError(
                "Too many wrong passwords: changing it is locked for a while.", code="locked_out"
            )
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            raise


class GuardedPasswordChangeView(auth_views.PasswordChangeView):
    form_class = GuardedPasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}
