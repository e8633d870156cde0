"""ThingSpeak's write and read endpoints: thin views over the ingest entry point and the feed selectors."""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from django.http import HttpRequest, HttpResponse
from django.utils.timezone import now
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from devices.models import FIELD_NUMBERS, Device
from devices.selectors import readable_device
from iotserver.credentials import client_address, thingspeak_header_key
from iotserver.parsers import parse_json
from iotserver.refusals import Forbidden, NotFound, Refused, allowed_methods, answers_refusals, plain_text
from iotserver.times import parse_moment, shifted
from readings.ingest import ingest
from readings.rules import MAX_BATCH, NewReading
from thingspeak_compat import feeds
from thingspeak_compat.updates import update_extras as _update_extras
from thingspeak_compat.updates import update_readings as _update_readings

MAX_BODY = 2_000_000  # a full bulk update of 1,000 readings is far smaller
COMPACT = (",", ":")  # ThingSpeak's JSON has no spaces; the Arduino library searches for "field1":"
# A bulk CSV row: the time (or seconds before the next row), the fields, then the extras.
CSV_COLUMNS = ("time", *(f"field{n}" for n in FIELD_NUMBERS), "latitude", "longitude", "elevation", "status")
# Browsers send the key in these when a page reads a channel from another origin.
CORS_HEADERS = "X-THINGSPEAKAPIKEY, THINGSPEAKAPIKEY, Authorization"


def json_answer(data: object, status: int = 200) -> HttpResponse:
    """JSON as ThingSpeak writes it: compact, so that clients searching the text find `"field1":"`."""
    return HttpResponse(
        json.dumps(data, separators=COMPACT, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _plain(text: str, status: int = 200, reason: str = "") -> HttpResponse:
    response = plain_text(text, status=status)
    if reason:
        # ThingSpeak's answers ("0", "-1") carry no reason; a person debugging a board wants one.
        response["X-Refusal-Reason"] = reason
    return response


def _json_refusal(refusal: Refused, **_) -> HttpResponse:
    return json_answer({"detail": refusal.reason}, status=refusal.status)


def _update_refusal(refusal: Refused, **_) -> HttpResponse:
    """ThingSpeak's failed update: `0`, with the reason in a header."""
    return _plain("0", status=refusal.status, reason=refusal.reason)


def _read_refusal(refusal: Refused, fmt: str = "json", **_) -> HttpResponse:
    """ThingSpeak's `-1` for a channel this request may not read (unknown or not its own: one answer,
    so ids cannot be probed); a bad parameter gets its reason, in the read's own format."""
    if isinstance(refusal, Forbidden | NotFound):
        return _plain("-1", status=400, reason=refusal.reason)  # in every format, as ThingSpeak
    if fmt == "json":
        return _json_refusal(refusal)
    return _plain(refusal.reason + "\n", status=refusal.status)


def _cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ThingSpeak's reads answer any origin: browser apps and widgets read channels from their own pages.

    No cookies cross origins with `*`, so a page elsewhere reads only with a key it holds, or a
    public channel. A preflight (a page sending the key in a header) is answered here.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, OPTIONS"
            response["Access-Control-Allow-Headers"] = CORS_HEADERS
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped


def read_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A ThingSpeak read: GET (and a CORS preflight), never cached, refusals as ThingSpeak answers them."""
    return _cors(
        never_cache(require_http_methods(["GET", "HEAD", "OPTIONS"])(answers_refusals(_read_refusal)(view)))
    )


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
    # ThingSpeak's server takes the key as api_key= or key=, or in any header naming THINGSPEAKAPIKEY.
    key = params.get("api_key") or params.get("key") or thingspeak_header_key(request)
    readings = _update_readings(params)
    extras = _update_extras(params)
    stored = ingest(key=str(key), mac=None, readings=readings, client=client_address(request), extras=extras)
    return readings, extras, stored


# ThingSpeak clients hold no CSRF token.
@csrf_exempt
@never_cache
@answers_refusals(_update_refusal)
@allowed_methods("GET", "POST")
def update(request: HttpRequest) -> HttpResponse:
    """GET|POST /update: answers the new entry's id, or 0."""
    _, _, stored = _store_update(request)
    return _plain(str(min(stored.ids)))


@csrf_exempt
@never_cache
@answers_refusals(_json_refusal)
@allowed_methods("GET", "POST")
def update_json(request: HttpRequest) -> HttpResponse:
    """GET|POST /update.json: answers the new entry as ThingSpeak does."""
    readings, extras, stored = _store_update(request)
    device = stored.device
    entry = feeds.entry_by_id(device=device, entry_id=min(stored.ids))
    if entry is None:  # the readings were deleted meanwhile: answer what was sent
        entry = feeds.Entry(readings[0].recorded_at or now(), min(stored.ids), {})
        entry.values = {reading.field: reading.value for reading in readings}
        entry.note = feeds.Note(extras.status, extras.latitude, extras.longitude, extras.elevation)
    answer = {
        "channel_id": device.pk,
        **feeds.entry_object(entry, list(FIELD_NUMBERS), None, UTC, everything=True),
    }
    return json_answer(answer)


def _bulk_times(updates: list, received_at: datetime) -> list[datetime]:
    """Each update's moment: its created_at, or delta_t seconds before the update after it."""
    times: list[datetime] = [received_at] * len(updates)
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
    return times


def _bulk_entries(updates: object, received_at: datetime) -> tuple[list[NewReading], dict]:
    """The updates' readings, and each update's status and location by its moment."""
    if not isinstance(updates, list) or not updates:
        raise Refused('the body must be {"write_api_key": ..., "updates": [...]}')
    if len(updates) > MAX_BATCH:
        raise Refused(f"at most {MAX_BATCH} updates per request")
    times = _bulk_times(updates, received_at)
    readings = []
    notes = {}
    for index, update_ in enumerate(updates):
        try:
            for reading in _update_readings({k: v for k, v in update_.items() if k != "created_at"}):
                readings.append(
                    NewReading(field=reading.field, value=reading.value, recorded_at=times[index])
                )
            notes[times[index]] = _update_extras(update_)
        except Refused as refusal:
            raise Refused(f"updates.{index}: {refusal.reason}") from None
    return readings, notes


def _csv_updates(text: str) -> tuple[str, list[dict]]:
    """ThingSpeak's bulk CSV: `write_api_key=...&time_format=absolute|relative&updates=` rows
    `time|delta,field1,...,field8,latitude,longitude,elevation,status`, separated by `|`."""
    params = {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}
    relative = params.get("time_format", "absolute") == "relative"
    updates = []
    rows = [row for row in params.get("updates", "").split("|") if row.strip()]
    for index, row in enumerate(csv.reader(io.StringIO("\n".join(rows)))):
        if not row:
            continue
        update_: dict = {"delta_t" if relative else "created_at": row[0]}
        if len(row) > len(CSV_COLUMNS):
            raise Refused(f"updates.{index} has more than {len(CSV_COLUMNS)} columns")
        update_.update(zip(CSV_COLUMNS[1:], row[1:], strict=False))
        updates.append(update_)
    return str(params.get("write_api_key", "")), updates


@csrf_exempt
@never_cache
@answers_refusals(_json_refusal)
@allowed_methods("POST")
def bulk_update(request: HttpRequest, channel: int, fmt: str = "json") -> HttpResponse:
    """POST /channels/<id>/bulk_update.json (or .csv): many updates, stored whole or not at all."""
    if len(request.body) > MAX_BODY:
        raise Refused("the body is too large")
    updates: object
    if fmt == "csv":
        key, updates = _csv_updates(request.body.decode("utf-8", errors="replace"))
    else:
        body = parse_json(request.body, limit=MAX_BODY)
        if not isinstance(body, dict):
            raise Refused('the body must be {"write_api_key": ..., "updates": [...]}')
        key, updates = str(body.get("write_api_key") or ""), body.get("updates")
    readings, notes = _bulk_entries(updates, now())
    ingest(key=key, mac=None, readings=readings, client=client_address(request), channel=channel, notes=notes)
    return json_answer({"success": True}, status=202)


def _open_channel(request: HttpRequest, channel: int, field: int | None):
    """The readable device and the parsed query of a read; Refused otherwise."""
    device = readable_device(request, channel, public=True)
    if field is not None and field not in FIELD_NUMBERS:
        raise Refused("field must be from 1 to 8")
    return device, feeds.parse_query(request.GET)


def _csv(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/csv; charset=utf-8")


def _xml(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="application/xml; charset=utf-8")


@read_view
def feed(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds.<fmt> and /channels/<id>/fields/<n>.<fmt>."""
    device, query = _open_channel(request, channel, field)
    entries = feeds.feed_entries(device=device, query=query, field=field)
    numbers = feeds.field_numbers(device, field)
    if fmt == "csv":
        return _csv(feeds.entries_csv(entries, numbers, query, query.zone))
    channel_found = feeds.channel_object(device, query.zone, query)
    found = [feeds.entry_object(entry, numbers, query, query.zone) for entry in entries]
    if fmt == "xml":
        return _xml(feeds.as_xml("channel", channel_found, found))
    return json_answer({"channel": channel_found, "feeds": found})


def _one_entry(device: Device, entry: feeds.Entry | None, query, fmt: str, field: int | None) -> HttpResponse:
    """One entry in the read's format. `.txt` of a field is its bare value; of an entry, its JSON."""
    if entry is None:
        return _plain("-1", status=404, reason="no such entry")
    numbers = feeds.field_numbers(device, field)
    if fmt == "csv":
        return _csv(feeds.entries_csv([entry], numbers, query, query.zone))
    found = feeds.entry_object(entry, numbers, query, query.zone)
    if fmt == "xml":
        return _xml(feeds.as_xml("feed", found))
    if fmt == "txt" and field is not None:
        return _plain(found[f"field{field}"] or "")
    if fmt == "txt":
        # ThingSpeak answers feeds/last.txt with the entry as JSON text; the Arduino library's
        # readStatus, readCreatedAt and readMultipleFields search it for "status":" and the like.
        return _plain(json.dumps(found, separators=COMPACT, ensure_ascii=False))
    return json_answer(found)


@read_view
def last(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds/last.<fmt> and /channels/<id>/fields/<n>/last[.<fmt>]."""
    device, query = _open_channel(request, channel, field)
    return _one_entry(device, feeds.last_entry(device=device, field=field), query, fmt, field)


@read_view
def entry(request: HttpRequest, channel: int, entry_id: int, fmt: str) -> HttpResponse:
    """/channels/<id>/feeds/<entry_id>.<fmt>: one entry by the id /update answered for it."""
    device, query = _open_channel(request, channel, None)
    return _one_entry(device, feeds.entry_by_id(device=device, entry_id=entry_id), query, fmt, None)


@read_view
def last_data_age(request: HttpRequest, channel: int, fmt: str, field: int | None = None) -> HttpResponse:
    """/channels/<id>/feeds/last_data_age.json and fields/<n>/last_data_age.json: seconds since the
    channel's (the field's) latest entry."""
    device, _ = _open_channel(request, channel, field)
    latest = feeds.last_entry(device=device, field=field)
    if latest is None:
        return _plain("-1", status=404, reason="no entries yet")
    age = max(0, int((now() - latest.created_at).total_seconds()))
    if fmt == "txt":
        return _plain(str(age))
    found = {"last_data_age": str(age), "last_data_age_units": "s"}
    return _xml(feeds.as_xml("channel", found)) if fmt == "xml" else json_answer(found)


@read_view
def channel_view(request: HttpRequest, channel: int, fmt: str = "json") -> HttpResponse:
    """/channels/<id>.json: the channel itself, as the feeds' `channel` object."""
    device, query = _open_channel(request, channel, None)
    found = feeds.channel_object(device, query.zone, query)
    return _xml(feeds.as_xml("channel", found)) if fmt == "xml" else json_answer(found)


@read_view
def status_feed(request: HttpRequest, channel: int, fmt: str = "json") -> HttpResponse:
    """/channels/<id>/status.json: the latest statuses (ThingSpeak's status updates)."""
    device, query = _open_channel(request, channel, None)
    entries = feeds.status_entries(device=device, query=query)
    found = [
        {
            "created_at": feeds.format_time(e.created_at, query.zone),
            "entry_id": e.entry_id,
            "status": e.note.status,
        }
        for e in entries
    ]
    return json_answer({"channel": {"name": device.name}, "feeds": found})
