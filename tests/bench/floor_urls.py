"""The ingest floor: a Django view that does nothing but one raw INSERT of a reading.

Served by the same gunicorn, settings and database setup as the project (WAL, synchronous=FULL
on SQLite), so the project's throughput divided by this one's is what the station URL's own
work (key lookup, rules, rollups, last_seen) costs.
"""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.utils.timezone import now
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def floor(request, device: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO readings_reading (device_id, field, value, recorded_at, stamped_by_device) "
            "VALUES (%s, 1, 21.5625, %s, %s)",
            [device, connection.ops.adapt_datetimefield_value(now()), False],
        )
    return HttpResponse("1\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("floor/<int:device>/", floor)]
