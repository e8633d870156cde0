"""The admin's MQTT pages: devices' broker logins (issued here, the password shown once) and refusals."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured

from devices.models import Device
from mqtt.accounts import credentials_issue
from mqtt.broker import DynamicSecurity, DynamicSecurityError
from mqtt.models import Account, Refusal


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["username", "device", "issued_at", "key_state"]
    readonly_fields = ["device", "username", "issued_at"]
    actions = ["issue_again"]

    def has_add_permission(self, request) -> bool:
        return False  # issued by the action on devices, or by manage.py mqtt_credentials

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Key")
    def key_state(self, account: Account) -> str:
        return "revoked: its readings are refused" if account.api_key.is_revoked else "active"

    @admin.action(description="Issue new MQTT passwords (the old ones stop working)")
    def issue_again(self, request, queryset) -> None:
        issue_logins(request, Device.objects.filter(mqtt_account__in=queryset))


@admin.register(Refusal)
class RefusalAdmin(admin.ModelAdmin):
    list_display = ["topic", "reason", "count", "last_at", "device"]
    list_filter = ["device"]
    search_fields = ["topic", "reason"]
    readonly_fields = ["device", "topic", "reason", "count", "first_at", "last_at", "last_payload"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def issue_logins(request, devices) -> None:
    """Issue each device a broker login and show its password once, as keys are shown."""
    try:
        with DynamicSecurity() as broker:
            for device in devices:
                issued = credentials_issue(device=device, broker=broker)
                messages.warning(
                    request,
                    f"MQTT login for {device.name}: username {issued.username}, "
                    f"password {issued.password} — copy it now, it will not be shown again. "
                    f"It publishes to channels/{device.pk}/publish or weather/{device.mac}/readings.",
                )
    except (DynamicSecurityError, ImproperlyConfigured) as error:
        messages.error(request, f"No MQTT login issued: {error}")


@admin.action(description="Issue MQTT logins (username and password, shown once)")
def issue_mqtt_login(modeladmin, request, queryset) -> None:
    issue_logins(request, queryset)


# The action sits with the devices' others; this app adds it rather than devices knowing of MQTT.
_device_admin = admin.site.get_model_admin(Device)
_device_admin.actions = [*(_device_admin.actions or []), issue_mqtt_login]
