"""The read API: devices with their fields and latest readings, and readings page by page."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils.timezone import now
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.models import FIELD_NUMBERS, Device
from devices.selectors import device_for_read_key
from iotserver.refusals import Refused
from readings.api import KEY_SCHEME
from readings.models import Reading
from readings.rules import parse_time
from readings.selectors import fields_with_latest, history_series, readings_between


def request_read_key(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith(KEY_SCHEME):
        return header[len(KEY_SCHEME) :].strip()
    return request.GET.get("api_key", "")


class ReadKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <read key>` or `?api_key=`: reads that key's device, and nothing else."""

    def authenticate(self, request):
        key = request_read_key(request)
        if not key:
            return None
        device = device_for_read_key(key=key)
        if device is None:
            raise AuthenticationFailed("unknown or revoked read key (a write key does not read)")
        return (None, device)

    def authenticate_header(self, request) -> str:
        return KEY_SCHEME.strip()


class ReadKeyScheme(OpenApiAuthenticationExtension):
    target_class = ReadKeyAuthentication
    name = "readKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <read key>`, or the query parameter `api_key`.",
        }


class LoggedInOrReadKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) or isinstance(request.auth, Device)


def readable_devices(request):
    """Every device for a logged-in person; only its own for a read key."""
    devices = Device.objects.all()
    if isinstance(request.auth, Device):
        devices = devices.filter(pk=request.auth.pk)
    return devices


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


class DevicesApi(ListAPIView):
    """Devices with their fields, each field with its latest reading."""

    authentication_classes = [SessionAuthentication, ReadKeyAuthentication]
    permission_classes = [LoggedInOrReadKey]
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


def _time_param(request, name: str):
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return parse_time(text)
    except Refused:
        raise ValidationError({name: "must be ISO 8601, e.g. 2026-11-20T10:00:00Z"}) from None


@extend_schema(
    parameters=[
        OpenApiParameter("field", OpenApiTypes.INT, description="only this field (1..8)"),
        OpenApiParameter(
            "start", OpenApiTypes.DATETIME, description="from this moment (ISO 8601), inclusive"
        ),
        OpenApiParameter("end", OpenApiTypes.DATETIME, description="up to this moment (ISO 8601), inclusive"),
    ]
)
class DeviceReadingsApi(ListAPIView):
    """One device's readings, oldest first, filtered by field and time range, a page at a time."""

    authentication_classes = [SessionAuthentication, ReadKeyAuthentication]
    permission_classes = [LoggedInOrReadKey]
    serializer_class = ReadingOut
    pagination_class = OldestFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reading.objects.none()
        device = get_object_or_404(readable_devices(self.request), pk=self.kwargs["device"])
        field = self.request.query_params.get("field")
        if field is not None and (not field.isdigit() or int(field) not in FIELD_NUMBERS):
            raise ValidationError({"field": "must be a whole number from 1 to 8"})
        start, end = _time_param(self.request, "start"), _time_param(self.request, "end")
        if start and end and start > end:
            raise ValidationError({"start": "is after end"})
        return readings_between(
            device_id=device.pk, start=start, end=end, field=int(field) if field else None
        ).order_by()


class HistoryQuery(serializers.Serializer):
    start = serializers.DateTimeField(required=False, help_text="default: a day before end")
    end = serializers.DateTimeField(required=False, help_text="default: now")
    max_points = serializers.IntegerField(required=False, default=500, min_value=2, max_value=2000)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("end", now())
        attrs.setdefault("start", attrs["end"] - timedelta(days=1))
        if attrs["start"] > attrs["end"]:
            raise ValidationError({"start": "is after end"})
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


class DeviceHistoryApi(APIView):
    """One device's fields over a range, downsampled as the dashboard's chart is (min, mean, max a bucket)."""

    authentication_classes = [SessionAuthentication, ReadKeyAuthentication]
    permission_classes = [LoggedInOrReadKey]

    @extend_schema(parameters=[HistoryQuery], responses=HistoryOut)
    def get(self, request: Request, device: int) -> Response:
        found = get_object_or_404(readable_devices(request), pk=device)
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
