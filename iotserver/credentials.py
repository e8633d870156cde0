"""What a request presents: its keys, however each protocol carries them, and the client's address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

KEY_SCHEME = "Api-Key "
# ThingSpeak's own server takes any header whose name holds this: the Arduino library sends
# X-THINGSPEAKAPIKEY, older sketches THINGSPEAKAPIKEY.
THINGSPEAK_HEADER = "THINGSPEAKAPIKEY"


def authorization_key(request: HttpRequest) -> str:
    """The key of `Authorization: Api-Key <key>`, or ''."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header[len(KEY_SCHEME) :].strip() if header.startswith(KEY_SCHEME) else ""


def thingspeak_header_key(request: HttpRequest) -> str:
    """The key of the first header whose name holds THINGSPEAKAPIKEY, or ''."""
    for name, value in request.META.items():
        if name.startswith("HTTP_") and THINGSPEAK_HEADER in name.replace("-", "").replace("_", ""):
            return str(value).strip()
    return ""


def query_key(request: HttpRequest) -> str:
    """`api_key=` (or ThingSpeak's `key=`) in the query string, or ''."""
    return request.GET.get("api_key") or request.GET.get("key") or ""


def presented_key(request: HttpRequest) -> str:
    """A key in any of the places a reader or a ThingSpeak client puts it."""
    return authorization_key(request) or query_key(request) or thingspeak_header_key(request)


def client_address(request: HttpRequest) -> str:
    """The client's address; behind the documented nginx, the one nginx saw (its last X-Forwarded-For)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
