"""ThingSpeak's write and read endpoints: thin views over record_readings and the feed selectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.timezone import now
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from devices.models import FIELD_NUMBERS, Device
from devices.selectors import device_for_read_key
from iotserver.refusals import Forbidden, Refused
from ratelimits.throttles import with_retry_after, writer_device
from readings.rules import NewReading, parse_time, value_from
from readings.services import MAX_BATCH, record_readings
from thingspeak_compat import feeds

MAX_BODY = 2_000_000  # a full bulk update of 1,000 readings is far smaller


def _plain(text: str, status: int = 200, reason: str = "") -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    if reason:
        # ThingSpeak's answers ("0", "-1") carry no reason; a person debugging a board wants one.
        response["X-Refusal-Reason"] = reason
    return response


def _value(raw: object, name: str) -> float:
    try:
        return value_from(raw)
    except Refused:
        raise Refused(f"{name} must be a number") from None


def _created_at(raw: object, params) -> datetime:
    """ThingSpeak's created_at: ISO 8601 or 'YYYY-MM-DD HH:NN:SS', in `timezone` when it names none."""
    if isinstance(raw, str) and params.get("timezone"):
        return feeds.parse_moment(raw, feeds.parse_zone(params["timezone"]), "created_at").astimezone(UTC)
    try:
        return parse_time(raw)
    except Refused:
        raise Refused("created_at must be ISO 8601 or epoch seconds") from None


def _update_readings(params) -> list[NewReading]:
    """An update's fields as readings, all at one moment. status, lat, long and elevation are ignored."""
    recorded_at = _created_at(params["created_at"], params) if params.get("created_at") else None
    readings = []
    for number in FIELD_NUMBERS:
        raw = params.get(f"field{number}")
        if raw is not None and raw != "":
            readings.append(
                NewReading(field=number, value=_value(raw, f"field{number}"), recorded_at=recorded_at)
            )
    if not readings:
        raise Refused("no field1..field8 in the update")
    return readings


def _update_params(request: HttpRequest) -> dict:
    params = {**request.GET.dict(), **request.POST.dict()}
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: a nesting bomb
            raise Refused("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Refused("the body must be a JSON object")
        params.update(body)
    return params


# ThingSpeak clients hold no CSRF token.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, fmt: str | None = None) -> HttpResponse:
    """GET|POST /update[.json]: the plain form answers the entry id, the .json form the entry."""
    try:
        params = _update_params(request)
        key = params.get("api_key") or request.headers.get("THINGSPEAKAPIKEY", "")
        readings = _update_readings(params)
        device = writer_device(request, key=str(key), mac=None)
        ids = record_readings(device=device, readings=readings)
    except Refused as refusal:
        if fmt:
            return with_retry_after(JsonResponse({"detail": refusal.reason}, status=refusal.status), refusal)
        return with_retry_after(_plain("0", status=refusal.status, reason=refusal.reason), refusal)
    if not fmt:
        return _plain(str(min(ids)))
    device.refresh_from_db(fields=["last_seen"])
    entry = feeds.Entry(readings[0].recorded_at or device.last_seen, min(ids), {})  # type: ignore[arg-type]  # stored: last_seen is set
    for reading in readings:
        entry.values[reading.field] = reading.value
    answer = {"channel_id": device.pk, **feeds.entry_object(entry, list(FIELD_NUMBERS), None, UTC)}
    answer.update({"latitude": None, "longitude": None, "elevation": None, "status": None})
    return JsonResponse(answer)


def _bulk_readings(body: object, received_at: datetime) -> list[NewReading]:
    if not isinstance(body, dict) or not isinstance(body.get("updates"), list) or not body["updates"]:
        raise Refused('the body must be {"write_api_key": ..., "updates": [...]}')
    updates = body["updates"]
    if len(updates) > MAX_BATCH:
        raise Refused(f"at most {MAX_BATCH} updates per request")
    # delta_t counts seconds since the previous update; the last update is taken as sent just now.
    times: list[datetime | None] = [None] * len(updates)
    moment = received_at
    for index in range(len(updates) - 1, -1, -1):
        update_ = updates[index]
        if not isinstance(update_, dict):
            raise Refused(f"updates.{index} must be an object")
        if update_.get("created_at") not in (None, ""):
            times[index] = _created_at(update_["created_at"], {})
        elif "delta_t" in update_:
            times[index] = moment
            try:
                delta = float(update_["delta_t"])
            except (TypeError, ValueError):
                raise Refused(f"updates.{index}.delta_t must be a number of seconds") from None
            if not 0 <= delta < 10 * 365 * 86400:
                raise Refused(f"updates.{index}.delta_t must be a number of seconds")
            moment = moment - timedelta(seconds=delta)
        else:
            raise Refused(f"updates.{index} needs created_at or delta_t")
    readings = []
    for index, update_ in enumerate(updates):
        try:
            for reading in _update_readings({k: v for k, v in update_.items() if k != "created_at"}):
                readings.append(
                    NewReading(field=reading.field, value=reading.value, recorded_at=times[index])
                )
        except Refused as refusal:
            raise Refused(f"updates.{index}: {refusal.reason}") from None
    return readings


@csrf_exempt
@never_cache
@require_POST
def bulk_update(request: HttpRequest, channel: int) -> HttpResponse:
    """POST /channels/<id>/bulk_update.json: many updates, stored whole or not at all."""
    try:
        if len(request.body) > MAX_BODY:
            raise Refused("the body is too large")
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: a nesting bomb
            raise Refused("the body is not valid JSON") from None
        readings = _bulk_readings(body, now())
        device = writer_device(request, key=str(body.get("write_api_key") or ""), mac=None)
        if device.pk != channel:
            raise Forbidden(f"this write key is not for channel {channel}")
        record_readings(device=device, readings=readings)
    except Refused as refusal:
        return with_retry_after(JsonResponse({"detail": refusal.reason}, status=refusal.status), refusal)
    return JsonResponse({"success": True}, status=202)


def _readable_device(request: HttpRequest, channel: int) -> Device | None:
    """The channel's device if this request may read it: a logged-in person, or its read key."""
    device = Device.objects.filter(pk=channel).first()
    if device is None:
        return None
    if request.user.is_authenticated:
        return device
    key = request.GET.get("api_key") or request.headers.get("THINGSPEAKAPIKEY", "")
    reader = device_for_read_key(key=key)
    return device if reader is not None and reader.pk == device.pk else None


def _refused(fmt: str, refusal: Refused) -> HttpResponse:
    if fmt == "json":
        return JsonResponse({"detail": refusal.reason}, status=refusal.status)
    return _plain(refusal.reason + "\n", status=refusal.status)


def _open_channel(request: HttpRequest, channel: int, fmt: str, field: int | None):
    """The readable device and the parsed query of a read, or the answer that refuses it."""
    device = _readable_device(request, channel)
    if device is None:
        return _plain("-1", status=400, reason="no read access: give a read key as api_key, or log in")
    try:
        if field is not None and field not in FIELD_NUMBERS:
            raise Refused("field must be from 1 to 8")
        return device, feeds.parse_query(request.GET)
    except Refused as refusal:
        return _refused(fmt, refusal)


@never_cache
@require_GET
def feed(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds.<fmt> and /channels/<id>/fields/<n>.<fmt>."""
    opened = _open_channel(request, channel, fmt, field)
    if isinstance(opened, HttpResponse):
        return opened
    device, query = opened
    entries = feeds.feed_entries(device=device, query=query, field=field)
    numbers = feeds.field_numbers(device, field)
    if fmt == "csv":
        return HttpResponse(
            feeds.entries_csv(entries, numbers, query, query.zone), content_type="text/csv; charset=utf-8"
        )
    return JsonResponse(
        {
            "channel": feeds.channel_object(device, query.zone),
            "feeds": [feeds.entry_object(entry, numbers, query, query.zone) for entry in entries],
        }
    )


@never_cache
@require_GET
def last(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds/last.<fmt> and /channels/<id>/fields/<n>/last[.<fmt>]."""
    opened = _open_channel(request, channel, fmt, field)
    if isinstance(opened, HttpResponse):
        return opened
    device, query = opened
    entry = feeds.last_entry(device=device, field=field)
    if entry is None:
        return _plain("-1", status=404, reason="no entries yet")
    numbers = feeds.field_numbers(device, field)
    found = feeds.entry_object(entry, numbers, query, query.zone)
    if fmt == "csv":
        return HttpResponse(
            feeds.entries_csv([entry], numbers, query, query.zone), content_type="text/csv; charset=utf-8"
        )
    if fmt == "txt":
        return _plain(found[f"field{field}"] or "")
    return JsonResponse(found)
