"""The station URL: what the original boards call, one reading per GET."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from devices.mac import normalise_mac
from iotserver.credentials import client_address
from iotserver.refusals import NotFound, Refused, allowed_methods, answers_refusals, plain_line, plain_text
from readings.ingest import ingest
from readings.rules import NewReading, parse_field, parse_value


# Boards hold no CSRF token; without this a POST would get the CSRF 403 instead of a clear 405.
@csrf_exempt
@never_cache
@answers_refusals(plain_line)
@allowed_methods("GET")
def station_update(request: HttpRequest, key: str, mac: str, field: str, data: str) -> HttpResponse:
    """GET /update/API_key=<key>/mac=<mac>/field=<n>/data=<value>: answers the new reading's id."""
    reading = NewReading(field=parse_field(field), value=parse_value(data))
    try:
        mac = normalise_mac(mac)
    except ValueError:
        raise Refused(f"mac must look like aa:bb:cc:dd:ee:ff, not {mac[:20]!r}") from None
    stored = ingest(key=key, mac=mac, readings=[reading], client=client_address(request))
    return plain_text(f"{stored.ids[0]}\n")


STATION_SHAPE = "/update/API_key=<key>/mac=<mac>/field=<1..8>/data=<value>"


@csrf_exempt
@never_cache
@answers_refusals(plain_line)
def station_mismatch(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /update/: a board with a typo gets the shape it should send, in one line."""
    raise NotFound(f"not a station URL: send GET {STATION_SHAPE} (the names are case-sensitive)")
