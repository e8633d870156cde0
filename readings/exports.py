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
# A text cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection"):
# `=cmd|' /C calc'!A0` as a device name would run when the export is opened. Fullwidth forms too,
# which some spreadsheets fold to their ASCII twins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_safe(text: str) -> str:
    """A text cell as a spreadsheet shows it and never runs it: a leading ' makes a formula text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it, so csv.writer can feed a generator."""

    def write(self, text: str) -> str:
        return text


def csv_lines(*, device: Device, start=None, end=None, field: int | None = None) -> Iterator[str]:
    # RFC 4180's CRLF: csv quotes a cell holding any character of the line terminator, so a lone
    # CR in a name is quoted too instead of starting a new row in a spreadsheet.
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(HEADER)
    rows = readings_between(device_id=device.pk, start=start, end=end, field=field).values_list(
        "recorded_at", "field", "value"
    )
    name = spreadsheet_safe(device.name)  # the one text cell; times and numbers are ours
    for recorded_at, number, value in rows.iterator(chunk_size=CHUNK):
        moment = recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        yield writer.writerow([moment, name, number, repr(value)])


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
