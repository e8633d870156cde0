"""Refuse to start a production server (DEBUG off) whose SECRET_KEY anyone could know or guess."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

# The thresholds of Django's own deploy check (security.W009), so that a key the server accepts
# also passes `manage.py check --deploy`. secrets.token_urlsafe(50) gives 67 characters.
MIN_LENGTH = 50
MIN_DIFFERENT_CHARACTERS = 5
# What `django-admin startproject` writes: a key that has been in a settings file in a repository.
INSECURE_PREFIX = "django-insecure-"
# Placeholders people copy from examples; all short today, named so they stay refused if lengthened.
PLACEHOLDERS = ("replace-me", "change-me", "changeme", "your-secret-key")

MAKE_ONE = 'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'


def weakness(key: str) -> str | None:
    """Why this key must not sign a production server's sessions, or None when it may."""
    if key.startswith(INSECURE_PREFIX):
        return f"it starts with {INSECURE_PREFIX!r}, the placeholder Django's startproject writes"
    if any(placeholder in key.lower() for placeholder in PLACEHOLDERS):
        return "it is (or contains) an example placeholder"
    if len(key) < MIN_LENGTH:
        return f"it is {len(key)} characters long; at least {MIN_LENGTH} are needed"
    if len(set(key)) < MIN_DIFFERENT_CHARACTERS:
        return f"it has fewer than {MIN_DIFFERENT_CHARACTERS} different characters"
    return None


def refuse_weak_secret_key(key: str, *, debug: bool) -> None:
    """Raise ImproperlyConfigured at settings load; never shows the key (it would land in logs)."""
    if debug:
        return  # a developer's own machine; check --deploy still warns
    reason = weakness(key)
    if reason is not None:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not safe for a server with DEBUG off: {reason}. Anyone who knows the key "
            f"can forge logins. Make a new one with {MAKE_ONE} and set it in the environment "
            "(or .env; docs/deploy.md)."
        )
