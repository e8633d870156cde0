"""Who may read the dashboard: household members, or anyone when DASHBOARD_PUBLIC is set."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission


def may_read_dashboard(user) -> bool:
    return settings.DASHBOARD_PUBLIC or (user is not None and user.is_authenticated)


class DashboardReader(BasePermission):
    message = "log in to read the dashboard"

    def has_permission(self, request, view) -> bool:
        return may_read_dashboard(request.user)
