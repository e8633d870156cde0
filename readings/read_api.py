"""The read API: devices with their fields and latest readings, and readings page by page."""

from __future__ import annotations

from datetime import timedelta

from django.utils.timezone import now
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.models import Device
from devices.selectors import readable_device, readable_devices
from iotserver.refusals import Refused
from iotserver.times import parse_moment, shifted
from readings.models import Reading
from readings.read_filters import parse_reading_filters
from readings.selectors import fields_with_latest, history_series, readings_between
from readings.serializers import TimeField


class ReaderAuthentication(SessionAuthentication):
    """A logged-in session. Read keys are checked by devices.selectors.readable_devices, which every
    read surface asks; this class exists so that the schema can say both ways in."""


class ReaderScheme(OpenApiAuthenticationExtension):
    target_class = ReaderAuthentication
    name = ["readerSession", "readKey"]

    def get_security_requirement(self, auto_schema):
        return [{"readerSession": []}, {"readKey": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Api-Key <read key>`, or the query parameter `api_key`.",
            },
        ]


class ReadView(APIView):
    """A read surface: who may read what is decided by the read-access selector, not by DRF."""

    authentication_classes = [ReaderAuthentication]
    permission_classes = [AllowAny]


class LatestOut(serializers.Serializer):
    value = serializers.FloatField()
    recorded_at = serializers.DateTimeField()


class FieldOut(serializers.Serializer):
    number = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # stubs: field shadows Field.label
    unit = serializers.CharField()
    kind = serializers.CharField()
    latest = LatestOut(allow_null=True, help_text="null until the field's first reading")


class DeviceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    location = serializers.CharField()
    placement = serializers.CharField()
    is_active = serializers.BooleanField()
    last_seen = serializers.DateTimeField(allow_null=True)
    fields = FieldOut(many=True)  # type: ignore[assignment]  # stubs: field shadows Serializer.fields


class ReadingOut(serializers.ModelSerializer):
    device = serializers.IntegerField(source="device_id")

    class Meta:
        model = Reading
        fields = ["id", "device", "field", "value", "recorded_at"]


class DevicesApi(ReadView, ListAPIView):
    """Devices with their fields, each field with its latest reading."""

    serializer_class = DeviceOut
    pagination_class = None

    def get_queryset(self):
        devices = {device.pk: device for device in readable_devices(self.request)}
        found = {pk: {**device_summary(device), "fields": []} for pk, device in devices.items()}
        for field in fields_with_latest(active_only=False):
            if field.device_id in found:
                latest = None
                if field.latest_at is not None:
                    latest = {"value": field.latest_value, "recorded_at": field.latest_at}
                found[field.device_id]["fields"].append(
                    {
                        "number": field.number,
                        "label": field.label,
                        "unit": field.unit,
                        "kind": field.kind,
                        "latest": latest,
                    }
                )
        return sorted(found.values(), key=lambda device: device["name"])


def device_summary(device: Device) -> dict:
    return {
        name: getattr(device, name)
        for name in ("id", "name", "location", "placement", "is_active", "last_seen")
    }


class OldestFirst(CursorPagination):
    # A cursor, not page numbers: pages stay fast and steady at millions of rows while readings arrive.
    ordering = ("recorded_at", "id")
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # DRF checks the offset but not the position: a forged one ("p=x") would reach the query.
        if cursor is not None and cursor.position is not None:
            try:
                parse_moment(cursor.position, what="cursor")
            except Refused:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor


@extend_schema(
    parameters=[
        OpenApiParameter("field", OpenApiTypes.INT, description="only this field (1..8)"),
        OpenApiParameter(
            "start", OpenApiTypes.DATETIME, description="from this moment (ISO 8601), inclusive"
        ),
        OpenApiParameter("end", OpenApiTypes.DATETIME, description="up to this moment (ISO 8601), inclusive"),
    ]
)
class DeviceReadingsApi(ReadView, ListAPIView):
    """One device's readings, oldest first, filtered by field and time range, a page at a time."""

    serializer_class = ReadingOut
    pagination_class = OldestFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reading.objects.none()
        device = readable_device(self.request, self.kwargs["device"])
        filters = parse_reading_filters(self.request.query_params)
        return readings_between(
            device_id=device.pk, start=filters.start, end=filters.end, field=filters.field
        ).order_by()


class HistoryQuery(serializers.Serializer):
    start = TimeField(required=False, help_text="default: a day before end")
    end = TimeField(required=False, help_text="default: now")
    max_points = serializers.IntegerField(required=False, default=500, min_value=2, max_value=2000)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("end", now())
        attrs.setdefault("start", shifted(attrs["end"], -timedelta(days=1), "start"))
        if attrs["start"] > attrs["end"]:
            raise ValidationError("start is after end")
        return attrs


class BucketOut(serializers.Serializer):
    start = serializers.DateTimeField()
    low = serializers.FloatField()
    mean = serializers.FloatField()
    high = serializers.FloatField()
    count = serializers.IntegerField()


class SeriesOut(serializers.Serializer):
    field = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # stubs: field shadows Field.label
    unit = serializers.CharField()
    points = BucketOut(many=True)


class HistoryOut(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bucket_seconds = serializers.IntegerField()
    series = SeriesOut(many=True)


class DeviceHistoryApi(ReadView):
    """One device's fields over a range, downsampled as the dashboard's chart is (min, mean, max a bucket)."""

    @extend_schema(parameters=[HistoryQuery], responses=HistoryOut)
    def get(self, request: Request, device: int) -> Response:
        found = readable_device(request, device)
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        fields = list(found.fields.all())
        width, series = history_series(
            series=[(found.pk, f.number) for f in fields],
            start=start,
            end=end,
            max_points=query.validated_data["max_points"],
        )
        body = {
            "start": start,
            "end": end,
            "bucket_seconds": width,
            "series": [
                {"field": f.number, "label": f.label, "unit": f.unit, "points": series[(found.pk, f.number)]}
                for f in fields
            ],
        }
        return Response(HistoryOut(body).data)
