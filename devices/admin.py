"""The admin: register stations, show a key once, rotate and revoke keys, browse readings."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from devices.board_config import board_config_issue
from devices.keys import check_chosen_key
from devices.models import READ, ApiKey, Device, Field
from devices.services import IssuedKey, key_issue, key_revoke
from readings.models import Reading


class FieldInline(admin.TabularInline):
    model = Field
    extra = 0
    min_num = 1


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = readonly_fields = ["prefix", "scope", "created_at", "revoked_at"]
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


def show_key_once(request: HttpRequest, issued: IssuedKey) -> None:
    device = issued.api_key.device
    station_url = request.build_absolute_uri(
        f"/update/API_key={issued.key}/mac={device.mac}/field={first_field(device)}/data=21.5"
    )
    messages.warning(
        request,
        f"API key for {device.name}: {issued.key} — copy it now, it will not be shown again. "
        f"The board posts to: {station_url}",
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
    actions = ["issue_key", "issue_read_key", "download_config", "deactivate"]

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
    def latest_reading(self, device: Device) -> str:
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

    @admin.action(description="Issue a read key (for apps that read: ThingSpeak feeds, the read API)")
    def issue_read_key(self, request, queryset) -> None:
        for device in queryset:
            issued = key_issue(device=device, scope=READ)
            messages.warning(
                request,
                f"Read key for {device.name}: {issued.key} — copy it now, it will not be shown again. "
                f"It reads channel {device.pk}: "
                + request.build_absolute_uri(f"/channels/{device.pk}/feeds.json?api_key={issued.key}"),
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
            config = board_config_issue(device=device, server_url=request.build_absolute_uri("/"))
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        response = HttpResponse(config, content_type="text/x-python; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="config.py"'
        response["Cache-Control"] = "no-store"  # it holds a key
        return response

    @admin.action(description="Deactivate: refuse their readings from now on")
    def deactivate(self, request, queryset) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} device(s) deactivated.")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "device", "scope", "created_at", "revoked_at"]
    list_filter = ["device", "scope", ("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["device", "prefix", "scope", "created_at", "revoked_at"]
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
