"""ThingSpeak's write and read endpoints: thin views over the ingest entry point and the feed selectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.timezone import now
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from devices.models import FIELD_NUMBERS
from devices.selectors import readable_device
from iotserver.credentials import client_address, thingspeak_header_key
from iotserver.parsers import parse_json
from iotserver.refusals import Forbidden, NotFound, Refused, answers_refusals, plain_text
from iotserver.times import parse_moment, shifted
from readings.ingest import ingest
from readings.rules import NewReading
from readings.services import MAX_BATCH
from thingspeak_compat import feeds
from thingspeak_compat.updates import update_readings as _update_readings

MAX_BODY = 2_000_000  # a full bulk update of 1,000 readings is far smaller


def _plain(text: str, status: int = 200, reason: str = "") -> HttpResponse:
    response = plain_text(text, status=status)
    if reason:
        # ThingSpeak's answers ("0", "-1") carry no reason; a person debugging a board wants one.
        response["X-Refusal-Reason"] = reason
    return response


def _json_refusal(refusal: Refused, **_) -> HttpResponse:
    return JsonResponse({"detail": refusal.reason}, status=refusal.status)


def _update_refusal(refusal: Refused, **_) -> HttpResponse:
    """ThingSpeak's failed update: `0`, with the reason in a header."""
    return _plain("0", status=refusal.status, reason=refusal.reason)


def _read_refusal(refusal: Refused, fmt: str = "json", **_) -> HttpResponse:
    """ThingSpeak's `-1` for a channel this request may not read (unknown or not its own: one answer,
    so ids cannot be probed); a bad parameter gets its reason, in the read's own format."""
    if isinstance(refusal, Forbidden | NotFound):
        return _plain("-1", status=400, reason=refusal.reason)
    if fmt == "json":
        return _json_refusal(refusal)
    return _plain(refusal.reason + "\n", status=refusal.status)


def _update_params(request: HttpRequest) -> dict:
    params = {**request.GET.dict(), **request.POST.dict()}
    if request.content_type == "application/json" and request.body:
        body = parse_json(request.body)
        if not isinstance(body, dict):
            raise Refused("the body must be a JSON object")
        params.update(body)
    return params


def _store_update(request: HttpRequest):
    params = _update_params(request)
    key = params.get("api_key") or params.get("key") or thingspeak_header_key(request)
    readings = _update_readings(params)
    return readings, ingest(key=str(key), mac=None, readings=readings, client=client_address(request))


# ThingSpeak clients hold no CSRF token.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@answers_refusals(_update_refusal)
def update(request: HttpRequest) -> HttpResponse:
    """GET|POST /update: answers the new entry's id, or 0."""
    _, stored = _store_update(request)
    return _plain(str(min(stored.ids)))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@answers_refusals(_json_refusal)
def update_json(request: HttpRequest) -> HttpResponse:
    """GET|POST /update.json: answers the new entry as ThingSpeak does."""
    readings, stored = _store_update(request)
    device = stored.device
    device.refresh_from_db(fields=["last_seen"])
    entry = feeds.Entry(readings[0].recorded_at or device.last_seen, min(stored.ids), {})
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
            times[index] = parse_moment(update_["created_at"], what=f"updates.{index}.created_at")
        elif "delta_t" in update_:
            times[index] = moment
            try:
                delta = float(update_["delta_t"])
            except (TypeError, ValueError):
                raise Refused(f"updates.{index}.delta_t must be a number of seconds") from None
            if not 0 <= delta < 10 * 365 * 86400:
                raise Refused(f"updates.{index}.delta_t must be a number of seconds")
            moment = shifted(moment, -timedelta(seconds=delta), f"updates.{index}.delta_t")
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
@answers_refusals(_json_refusal)
def bulk_update(request: HttpRequest, channel: int) -> HttpResponse:
    """POST /channels/<id>/bulk_update.json: many updates, stored whole or not at all."""
    body = parse_json(request.body, limit=MAX_BODY)
    readings = _bulk_readings(body, now())
    key = str(body.get("write_api_key") or "") if isinstance(body, dict) else ""
    ingest(key=key, mac=None, readings=readings, client=client_address(request), channel=channel)
    return JsonResponse({"success": True}, status=202)


def _open_channel(request: HttpRequest, channel: int, field: int | None):
    """The readable device and the parsed query of a read; Refused otherwise."""
    device = readable_device(request, channel)
    if field is not None and field not in FIELD_NUMBERS:
        raise Refused("field must be from 1 to 8")
    return device, feeds.parse_query(request.GET)


@never_cache
@require_GET
@answers_refusals(_read_refusal)
def feed(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds.<fmt> and /channels/<id>/fields/<n>.<fmt>."""
    device, query = _open_channel(request, channel, field)
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
@answers_refusals(_read_refusal)
def last(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds/last.<fmt> and /channels/<id>/fields/<n>/last[.<fmt>]."""
    device, query = _open_channel(request, channel, field)
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
