"""CSV export of a device's readings, streamed row by row so a year of minutes never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC

from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.http import require_GET

from devices.models import Device
from devices.selectors import readable_device
from iotserver.refusals import answers_refusals, plain_line
from readings.read_filters import parse_reading_filters
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


@require_GET
@answers_refusals(plain_line)
def readings_csv(request: HttpRequest, device: int) -> HttpResponseBase:
    """GET /api/devices/<id>/readings.csv?start=&end=&field=: logged in, or with the read key."""
    found = readable_device(request, device)
    filters = parse_reading_filters(request.GET)
    response = StreamingHttpResponse(
        csv_lines(device=found, start=filters.start, end=filters.end, field=filters.field),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="readings-{found.pk}.csv"'
    return response
