from django.apps import AppConfig


class MqttConfig(AppConfig):
    name = "mqtt"
    verbose_name = "MQTT"
