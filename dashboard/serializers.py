"""The shapes of the dashboard's JSON: history for the chart, the latest values for live updates."""

from __future__ import annotations

from rest_framework import serializers

RANGES = ("24h", "7d", "30d", "1y")


class HistoryQuery(serializers.Serializer):
    range = serializers.ChoiceField(choices=RANGES, default="24h")


class HistorySeries(serializers.Serializer):
    key = serializers.CharField(help_text="device id and field number, as on the page: '3-1'")
    device = serializers.IntegerField()
    name = serializers.CharField()
    placement = serializers.CharField()
    field = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # stubs: field shadows Field.label
    unit = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="[bucket start (Unix seconds), min, mean, max] per bucket, oldest first",
    )


class History(serializers.Serializer):
    range = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bucket_seconds = serializers.IntegerField()
    series = HistorySeries(many=True)


class AdviceOut(serializers.Serializer):
    state = serializers.ChoiceField(choices=["open", "shut", "even", "unknown"])
    difference = serializers.FloatField(allow_null=True, help_text="outside minus inside, °C")
    text = serializers.CharField(help_text="'{delta}' stands for the difference's size in the reader's unit")


class LatestSeries(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField()
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    trend = serializers.CharField(allow_blank=True)


class Latest(serializers.Serializer):
    advice = AdviceOut()
    means = serializers.DictField(child=serializers.FloatField(allow_null=True))
    series = LatestSeries(many=True)
