"""The JSON form of the write API: POST /api/readings/ with a device's key."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from iotserver.credentials import authorization_key, client_address
from readings.ingest import ingest
from readings.serializers import ReadingsIn


def request_key(request: Request) -> str:
    """The key from `Authorization: Api-Key <key>`, else from the body's api_key."""
    key = authorization_key(request)
    if key:
        return key
    body = request.data
    in_body = body.get("api_key") if isinstance(body, dict) else None
    return in_body if isinstance(in_body, str) else ""


class ReadingsApi(APIView):
    # Boards carry no session and no CSRF token: the device key is checked by ingest().
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
            429: OpenApiResponse(description="over the device's rate limit; Retry-After says when to retry"),
        },
        auth=[],
    )
    def post(self, request: Request) -> HttpResponse:
        if not isinstance(request.data, dict):
            raise ValidationError("the body must be a JSON object")
        incoming = ReadingsIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        stored = ingest(
            key=request_key(request),
            mac=incoming.validated_data["mac"],
            readings=incoming.new_readings(),
            client=client_address(request),
        )
        return Response({"ids": stored.ids}, status=status.HTTP_201_CREATED)
