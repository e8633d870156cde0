"""The shapes of the dashboard's JSON: history for the chart, the latest values for live updates."""

from __future__ import annotations

from rest_framework import serializers

RANGES = ("24h", "7d", "30d", "1y")


# A zoom narrower than this has nothing more to show: the finest bucket is a second.
MIN_ZOOM_SECONDS = 60
MAX_ZOOM_SECONDS = 11 * 366 * 86400  # ten years and change: the longest history kept
LAST_SECOND = 4102444800  # 2100-01-01: any later number is a mistake, not a date


class HistoryQuery(serializers.Serializer):
    range = serializers.ChoiceField(choices=RANGES, default="24h")
    start = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=LAST_SECOND,
        help_text="zoomed range: first second (Unix), with end",
    )
    end = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=LAST_SECOND,
        help_text="zoomed range: last second (Unix), with start",
    )

    def validate(self, attrs):
        given = [name for name in ("start", "end") if name in attrs]
        if len(given) == 1:
            raise serializers.ValidationError("start and end come together")
        if given:
            span = attrs["end"] - attrs["start"]
            if span < MIN_ZOOM_SECONDS:
                raise serializers.ValidationError(f"end must be at least {MIN_ZOOM_SECONDS} s after start")
            if span > MAX_ZOOM_SECONDS:
                raise serializers.ValidationError("a zoomed range spans at most eleven years")
        return attrs


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
    range = serializers.CharField(help_text="the range asked for, or 'zoom' for a start and end")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bucket_seconds = serializers.IntegerField()
    series = HistorySeries(many=True)


class AdviceOut(serializers.Serializer):
    state = serializers.ChoiceField(choices=["open", "shut", "even", "unknown"])
    difference = serializers.FloatField(allow_null=True, help_text="outside minus inside, °C")
    text = serializers.CharField(help_text="'{delta}' stands for the difference's size in the reader's unit")


class ForecastOut(serializers.Serializer):
    state = serializers.ChoiceField(choices=["cooler", "warmer", "none", "unknown"])
    at = serializers.DateTimeField(allow_null=True, help_text="when outside should pass inside, roughly")
    text = serializers.CharField(allow_blank=True)


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
    forecast = ForecastOut()
    means = serializers.DictField(child=serializers.FloatField(allow_null=True))
    series = LatestSeries(many=True)
