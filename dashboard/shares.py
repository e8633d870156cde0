"""Creating, using and revoking share links: the only ways a ShareLink changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.timezone import now

from dashboard.models import ShareLink, token_digest

# A shared view polls every 10 s: record its use at most once a minute, not on every poll.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedLink:
    link: ShareLink
    token: str  # shown once, at creation; only its digest is kept


def share_link_create(*, name: str, user=None) -> IssuedLink:
    token = secrets.token_urlsafe(24)
    link = ShareLink.objects.create(
        name=name.strip() or "Shared view", token_digest=token_digest(token), created_by=user
    )
    return IssuedLink(link=link, token=token)


def share_link_use(*, token: str, at: datetime | None = None) -> ShareLink | None:
    """The active link of this token, its use recorded; None for an unknown or revoked one."""
    at = at or now()
    link = ShareLink.objects.filter(token_digest=token_digest(token), revoked_at__isnull=True).first()
    if link is None:
        return None
    if link.last_used_at is None or link.last_used_at < at - LAST_USED_GRANULARITY:
        ShareLink.objects.filter(pk=link.pk).update(last_used_at=at)
        link.last_used_at = at
    return link


def share_link_revoke(*, link: ShareLink) -> None:
    if link.revoked_at is None:
        ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now())
        link.refresh_from_db()
