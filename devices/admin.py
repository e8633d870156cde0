"""The admin: register stations, show a key once, rotate and revoke keys, browse readings."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from devices.board_config import board_config_issue, boards_url, unreachable_warning
from devices.keys import check_chosen_key
from devices.models import READ, ApiKey, Device, Field
from devices.services import IssuedKey, key_issue, key_replace, key_revoke

# The admin is the operator's view of the whole server: it shows each station's latest reading
# and deletes a station with its readings, which the devices app itself never touches.
from readings.models import Reading
from readings.services import device_delete

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LatestReading(TypedDict):
    """What DeviceAdmin.get_queryset annotates each device with."""

    latest_value: float | None
    latest_field: int | None


class FieldInline(admin.TabularInline):
    model = Field
    extra = 0
    min_num = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "number":
            field.initial = 1  # a new station's first field; a blank number failed the first save
        return field


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = readonly_fields = ("prefix", "scope", "created_at", "last_used_at", "revoked_at", "replaced_by")
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # keys are issued by the “Issue a new API key” action, never typed in


class DeviceForm(forms.ModelForm):
    chosen_key = forms.CharField(
        required=False,
        label="Keep an existing key",
        help_text="Only to move a board without re-flashing it: the key it already sends "
        "(8 characters or more). Leave empty and the server makes a strong one.",
    )

    class Meta:
        model = Device
        fields = ["name", "mac", "location", "placement", "is_active", "is_public"]

    def clean_chosen_key(self) -> str:
        key = self.cleaned_data["chosen_key"]
        if key:
            try:
                check_chosen_key(key)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from None
        return key


def key_message(label: str, key: str, then: str) -> str:
    """A key shown once: in a monospaced field that selects itself on a tap (I and l look alike in the
    admin's font, and a clipboard button needs HTTPS, which a home server often lacks)."""
    return format_html(
        '{}: <input readonly value="{}" size="{}" onclick="this.select()" aria-label="the key" '
        'style="font-family: monospace; font-size: 1.1em"> — copy it now, it will not be shown again. {}',
        label,
        key,
        len(key) + 2,
        then,
    )


def show_key_once(request: HttpRequest, issued: IssuedKey) -> None:
    device = issued.api_key.device
    station_url = (
        f"{boards_url()}/update/API_key={issued.key}/mac={device.mac}/field={first_field(device)}/data=21.5"
    )
    messages.warning(
        request, key_message(f"API key for {device.name}", issued.key, f"The board posts to: {station_url}")
    )


def first_field(device: Device) -> int:
    field = device.fields.order_by("number").first()
    return field.number if field else 1


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = DeviceForm
    inlines = [FieldInline, ApiKeyInline]
    list_display = [
        "name",
        "placement",
        "location",
        "mac",
        "is_active",
        "is_public",
        "last_seen",
        "latest_reading",
        "export_csv",
    ]
    list_filter = ["placement", "is_active", "is_public"]
    search_fields = ["name", "mac", "location"]
    readonly_fields = ["created_at", "last_seen"]
    actions = ["replace_key", "issue_key", "issue_read_key", "download_config", "deactivate"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["fields"] = DeviceForm.Meta.fields  # a chosen key only at registration
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fields = [*DeviceForm.Meta.fields, *(["created_at", "last_seen"] if obj else ["chosen_key"])]
        return [(None, {"fields": fields})]

    def get_queryset(self, request):
        latest = Reading.objects.filter(device=OuterRef("pk")).order_by("-recorded_at")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_value=Subquery(latest.values("value")[:1]),
                latest_field=Subquery(latest.values("field")[:1]),
            )
        )

    @admin.display(description="Latest reading")
    def latest_reading(self, device: WithAnnotations[Device, LatestReading]) -> str:
        if device.latest_value is None:
            return "waiting for the first reading"
        return f"field {device.latest_field}: {device.latest_value:g}"

    @admin.display(description="Export")
    def export_csv(self, device: Device) -> str:
        # All of the device's history, streamed; ?start=&end=&field= narrow it (see the README).
        return format_html('<a href="{}">CSV</a>', reverse("export-readings-csv", args=[device.pk]))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            # After the fields are saved, so the station URL shown names a real field.
            show_key_once(
                request, key_issue(device=form.instance, key=form.cleaned_data.get("chosen_key") or None)
            )

    @admin.action(description="Issue a new API key (rotation: old keys stay valid until revoked)")
    def issue_key(self, request, queryset) -> None:
        for device in queryset:
            show_key_once(request, key_issue(device=device))

    @admin.action(description="Replace the board's key (the old one stops once the board uses the new one)")
    def replace_key(self, request, queryset) -> None:
        for device in queryset:
            show_key_once(request, key_replace(device=device))

    @admin.action(description="Issue a read key (for apps that read: ThingSpeak feeds, the read API)")
    def issue_read_key(self, request, queryset) -> None:
        for device in queryset:
            issued = key_issue(device=device, scope=READ)
            feed = f"{boards_url()}/channels/{device.pk}/feeds.json?api_key={issued.key}"
            messages.warning(
                request,
                key_message(
                    f"Read key for {device.name}", issued.key, f"It reads channel {device.pk}: {feed}"
                ),
            )

    @admin.action(description="Download config.py (issues a new API key, written only into that file)")
    def download_config(self, request, queryset) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request, "Select exactly one device: each board gets its own config.py.", messages.ERROR
            )
            return None
        device = queryset.get()
        try:
            # The server's address as this browser reached it; the boards are on the same network.
            # SITE_URL or the LAN address, never the browser's: browsing from the server itself
            # would give 127.0.0.1, which a board would take for itself.
            url = boards_url()
            config = board_config_issue(device=device, server_url=url)
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        warning = unreachable_warning(url)
        if warning:
            self.message_user(request, warning, messages.WARNING)
        response = HttpResponse(config, content_type="text/x-python; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="config.py"'
        response["Cache-Control"] = "no-store"  # it holds a key
        return response

    def get_deleted_objects(self, objs, request):
        """The confirmation page, counted: Django's would list (and load) every reading."""
        devices = list(objs)
        readings = Reading.objects.filter(device__in=devices).count()
        summary = [f"{device} (with its fields, keys and alert rules)" for device in devices]
        counts = {"devices": len(devices), "readings": readings}
        perms_needed = set() if self.has_delete_permission(request) else {"device"}
        return summary, counts, perms_needed, []

    def delete_model(self, request, obj: Device) -> None:
        device_delete(device=obj)

    def delete_queryset(self, request, queryset) -> None:
        for device in queryset:
            device_delete(device=device)

    @admin.action(description="Deactivate: refuse their readings from now on")
    def deactivate(self, request, queryset) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} device(s) deactivated.")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "device", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["device", "scope", ("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["device", "prefix", "scope", "created_at", "last_used_at", "revoked_at", "replaced_by"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset) -> None:
        for api_key in queryset:
            key_revoke(api_key=api_key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
