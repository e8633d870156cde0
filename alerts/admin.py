"""Notifications in the admin: rules and who gets them, channels, and the read-only history of messages."""

from __future__ import annotations

from django.contrib import admin

from alerts.models import Alert, Channel, Notification, Rule, Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 1
    verbose_name = "household member who gets this rule's messages"
    verbose_name_plural = "household members who get this rule's messages"


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "threshold", "minutes", "quiet_minutes"]
    list_filter = ["kind", "is_active"]
    inlines = [SubscriptionInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active", "quiet_minutes"]}),
        ("Which stations", {"fields": ["device", "placement"]}),
        ("Threshold rules", {"fields": ["threshold", "hysteresis", "field_number", "field_kind"]}),
        ("Station rules", {"fields": ["minutes"]}),
    ]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "kind", "address", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["user"]
    fieldsets = [
        (None, {"fields": ["user", "name", "kind", "is_active"]}),
        ("E-mail", {"fields": ["email"]}),
        ("Webhook", {"fields": ["url", "body_format", "authorization"]}),
    ]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "rule"]
    list_filter = ["rule"]
    list_select_related = ["user", "rule"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is what happened: nobody adds or edits it by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "title", "channel", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel", "alert__rule"]
    list_select_related = ["alert", "channel"]
    date_hierarchy = "created_at"

    @admin.display(description="title", ordering="alert__title")
    def title(self, notification: Notification) -> str:
        return notification.alert.title


class NotificationInline(admin.TabularInline):
    model = Notification
    fields = readonly_fields = ("channel", "status", "attempts", "sent_at", "last_error")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["fired_at", "title", "rule", "subject", "message"]
    list_filter = ["rule"]
    list_select_related = ["rule"]
    date_hierarchy = "fired_at"
    inlines = [NotificationInline]
