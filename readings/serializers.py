"""The JSON form's shapes: one reading, or a batch a board sends after an outage."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.mac import normalise_mac
from iotserver.refusals import Refused
from iotserver.times import parse_moment
from readings.rules import MAX_BATCH, NewReading, value_from


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string", "example": "21.5625"}]})
class ValueField(serializers.Field):
    """A JSON number, or a string holding one (as ThingSpeak clients send); never a boolean."""

    def to_internal_value(self, data: object) -> float:
        try:
            return value_from(data)
        except Refused:
            raise serializers.ValidationError("must be a number") from None


@extend_schema_field(
    {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number", "description": "Unix seconds"}]}
)
class TimeField(serializers.Field):
    """A moment as iotserver.times reads it: ISO 8601, ThingSpeak's form or epoch seconds."""

    def to_internal_value(self, data: object):
        try:
            return parse_moment(data, what=self.field_name or "time")
        except Refused as refusal:
            raise serializers.ValidationError(refusal.reason) from None


class MacField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        try:
            return normalise_mac(super().to_internal_value(data))
        except ValueError:
            raise serializers.ValidationError("must look like aa:bb:cc:dd:ee:ff") from None


class ReadingIn(serializers.Serializer):
    field = serializers.IntegerField(min_value=1, max_value=8)
    data = ValueField()  # type: ignore[assignment]  # stubs: field shadows Serializer.data
    recorded_at = TimeField(required=False, allow_null=True)


class ReadingsIn(serializers.Serializer):
    """{"mac", "field", "data"[, "recorded_at"]} or {"mac", "readings": [...]}; api_key optional."""

    mac = MacField(max_length=40)
    api_key = serializers.CharField(required=False, max_length=200)
    field = serializers.IntegerField(required=False, min_value=1, max_value=8)
    data = ValueField(required=False)  # type: ignore[assignment]  # stubs: field shadows Serializer.data
    recorded_at = TimeField(required=False, allow_null=True)
    readings = ReadingIn(many=True, required=False, max_length=MAX_BATCH, allow_empty=False)  # type: ignore[call-arg]  # stubs: many=True takes it

    def validate(self, attrs: dict) -> dict:
        single = "field" in attrs or "data" in attrs
        if single == ("readings" in attrs):
            raise serializers.ValidationError("send either field and data, or a list of readings")
        if single and not ("field" in attrs and "data" in attrs):
            raise serializers.ValidationError("a single reading needs both field and data")
        return attrs

    def new_readings(self) -> list[NewReading]:
        values = self.validated_data
        if "readings" in values:
            return [
                NewReading(field=r["field"], value=r["data"], recorded_at=r.get("recorded_at"))
                for r in values["readings"]
            ]
        return [
            NewReading(field=values["field"], value=values["data"], recorded_at=values.get("recorded_at"))
        ]
