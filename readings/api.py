"""The JSON form of the write API: POST /api/readings/ with a device's key."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from iotserver.refusals import Refused
from ratelimits.throttles import with_retry_after, writer_device
from readings.serializers import ReadingsIn
from readings.services import record_readings

KEY_SCHEME = "Api-Key "


def request_key(request: Request) -> str:
    """The key from `Authorization: Api-Key <key>`, else from the body's api_key."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith(KEY_SCHEME):
        return header[len(KEY_SCHEME) :].strip()
    body = request.data
    key = body.get("api_key") if isinstance(body, dict) else None
    return key if isinstance(key, str) else ""


class ReadingsApi(APIView):
    # Boards carry no session and no CSRF token: the device key is checked in post().
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=ReadingsIn,
        responses={
            201: inline_serializer(
                "ReadingIds", {"ids": serializers.ListField(child=serializers.IntegerField())}
            ),
            400: OpenApiResponse(description='{"detail": one line saying what is wrong}; nothing stored'),
            403: OpenApiResponse(description="unknown or revoked key, wrong MAC, inactive device"),
        },
        auth=[],
    )
    def post(self, request: Request) -> HttpResponse:
        if not isinstance(request.data, dict):
            raise ValidationError("the body must be a JSON object")
        incoming = ReadingsIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            device = writer_device(request, key=request_key(request), mac=incoming.validated_data["mac"])
            ids = record_readings(device=device, readings=incoming.new_readings())
        except Refused as refusal:
            return with_retry_after(Response({"detail": refusal.reason}, status=refusal.status), refusal)
        return Response({"ids": ids}, status=status.HTTP_201_CREATED)


def _first_message(detail: object, path: tuple[str, ...] = ()) -> str:
    """DRF's nested error detail as the one line a person needs: 'readings.3.data: must be a number'."""
    if isinstance(detail, dict) and detail:
        name, inner = next(iter(detail.items()))
        return _first_message(inner, path if name == "non_field_errors" else (*path, str(name)))
    if isinstance(detail, list):
        for index, inner in enumerate(detail):
            if inner:
                return _first_message(inner, (*path, str(index)) if isinstance(inner, dict) else path)
    where = ".".join(path)
    return f"{where}: {detail}" if where else str(detail)


def one_line_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"detail": _first_message(exc.detail)}
    return response
