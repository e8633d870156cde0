"""Share links: a secret, read-only view of the dashboard for someone without a login."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.timezone import now


def token_digest(token: str) -> str:
    """Only the SHA-256 of a token is stored: a copy of the database opens no shared view."""
    return hashlib.sha256(token.encode()).hexdigest()


class ShareLink(models.Model):
    # A household foreign key joins these once the server keeps more than one household.
    name = models.CharField(max_length=80, help_text="who or what the link is for, e.g. 'Grandma's tablet'")
    token_digest = models.CharField(max_length=64, unique=True)  # the unique index is the lookup
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None
