"""Readings in the admin: browsable by device, field and date, never edited by hand."""

from __future__ import annotations

from django.contrib import admin

from readings.models import Reading


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "device", "field", "value", "stamped_by_device"]
    list_filter = ["device", "field"]
    date_hierarchy = "recorded_at"
    list_select_related = ["device"]
    # The change list counts rows for its paginator; at millions of readings that count is the slow part.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
