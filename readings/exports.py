"""CSV export of a device's readings, streamed row by row so a year of minutes never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from devices.models import FIELD_NUMBERS, Device
from devices.selectors import device_for_read_key
from iotserver.refusals import Refused
from readings.rules import parse_time
from readings.selectors import readings_between

CHUNK = 2000  # rows fetched per round trip: few trips, small memory
HEADER = ["recorded_at", "device", "field", "value"]


class _Echo:
    """A file that hands back what is written to it, so csv.writer can feed a generator."""

    def write(self, text: str) -> str:
        return text


def csv_lines(*, device: Device, start=None, end=None, field: int | None = None) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(HEADER)
    rows = readings_between(device_id=device.pk, start=start, end=end, field=field).values_list(
        "recorded_at", "field", "value"
    )
    for recorded_at, number, value in rows.iterator(chunk_size=CHUNK):
        moment = recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        yield writer.writerow([moment, device.name, number, repr(value)])


def _params(request: HttpRequest) -> dict:
    found: dict[str, Any] = {}
    for name in ("start", "end"):
        if request.GET.get(name):
            try:
                found[name] = parse_time(request.GET[name])
            except Refused:
                raise Refused(f"{name} must be ISO 8601, e.g. 2026-11-20T10:00:00Z") from None
    field = request.GET.get("field")
    if field:
        if not field.isdigit() or int(field) not in FIELD_NUMBERS:
            raise Refused("field must be a whole number from 1 to 8")
        found["field"] = int(field)
    if found.get("start") and found.get("end") and found["start"] > found["end"]:
        raise Refused("start is after end")
    return found


@require_GET
def readings_csv(request: HttpRequest, device: int) -> HttpResponseBase:
    """GET /api/devices/<id>/readings.csv?start=&end=&field=: logged in, or with the read key."""
    found = get_object_or_404(Device, pk=device)
    if not request.user.is_authenticated:
        reader = device_for_read_key(key=request.GET.get("api_key", ""))
        if reader is None or reader.pk != found.pk:
            return HttpResponse("log in, or give this device's read key as api_key\n", status=403)
    try:
        params = _params(request)
    except Refused as refusal:
        return HttpResponse(refusal.reason + "\n", status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        csv_lines(device=found, **params), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="readings-{found.pk}.csv"'
    return response
