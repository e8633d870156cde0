"""App configuration for alerts: notification rules, channels and the outbox the sender works through."""

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Notifications"
