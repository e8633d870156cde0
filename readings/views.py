"""The station URL: what the original boards call, one reading per GET."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from devices.mac import normalise_mac
from iotserver.refusals import Refused
from ratelimits.throttles import with_retry_after, writer_device
from readings.rules import NewReading, parse_field, parse_value
from readings.services import record_readings


def plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


# Boards hold no CSRF token; without this a POST would get the CSRF 403 instead of a clear 405.
@csrf_exempt
@never_cache
@require_GET
def station_update(request: HttpRequest, key: str, mac: str, field: str, data: str) -> HttpResponse:
    """GET /update/API_key=<key>/mac=<mac>/field=<n>/data=<value>: answers the new reading's id."""
    try:
        reading = NewReading(field=parse_field(field), value=parse_value(data))
        try:
            mac = normalise_mac(mac)
        except ValueError:
            raise Refused(f"mac must look like aa:bb:cc:dd:ee:ff, not {mac[:20]!r}") from None
        device = writer_device(request, key=key, mac=mac)
        [reading_id] = record_readings(device=device, readings=[reading])
    except Refused as refusal:
        return with_retry_after(plain(refusal.reason, status=refusal.status), refusal)
    return plain(str(reading_id))
