"""The rules a household starts with: window advice both ways, stations gone quiet and back, heat and frost."""

from django.db import migrations

# (name, kind, fields). Stations post every minute; half an hour of silence is worth a message,
# a WiFi hiccup of a few minutes is not. An hour between window messages keeps a night with the
# temperatures crossing back and forth from waking anyone more than once an hour per rule.
RULES = [
    ("Outside became cooler than inside: open the windows", "window_open", {"quiet_minutes": 60}),
    ("Outside became warmer than inside: shut the windows", "window_shut", {"quiet_minutes": 60}),
    ("A station has not reported for 30 minutes", "stale", {"minutes": 30, "quiet_minutes": 60}),
    ("A station is back", "back", {"minutes": 30, "quiet_minutes": 60}),
    (
        "Inside above 28 °C",
        "above",
        {"placement": "inside", "field_kind": "temperature", "threshold": 28.0, "quiet_minutes": 180},
    ),
    (
        "Outside below 0 °C",
        "below",
        {"placement": "outside", "field_kind": "temperature", "threshold": 0.0, "quiet_minutes": 180},
    ),
]


def create_rules(apps, schema_editor):
    Rule = apps.get_model("alerts", "Rule")
    for name, kind, fields in RULES:
        Rule.objects.get_or_create(name=name, defaults={"kind": kind, **fields})


def remove_rules(apps, schema_editor):
    apps.get_model("alerts", "Rule").objects.filter(name__in=[name for name, _, _ in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_rules_channels_outbox")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
