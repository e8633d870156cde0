"""URL map: the station URL the boards know, the JSON API, and the admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from readings import views
from readings.api import ReadingsApi

# The original boards send everything in the path. Each part is matched loosely here and
# checked by the view, so that a bad value gets a 400 with a reason, not a bare 404.
STATION_URL = r"API_key=(?P<key>[^/]*)/mac=(?P<mac>[^/]*)/field=(?P<field>[^/]*)/data=(?P<data>[^/]*)/?$"

admin.site.site_header = "Home weather stations"
admin.site.site_title = "Home weather admin"
admin.site.index_title = "Stations, keys, readings and notifications"

urlpatterns = [
    re_path(r"^update/" + STATION_URL, views.station_update, name="station-update"),
    re_path(r"^" + STATION_URL, views.station_update, name="station-update-short"),
    # A path that looks meant for the station URL but is not: a plain line with the right shape.
    re_path(r"^update/(?P<rest>.+)$", views.station_mismatch),
    re_path(r"^(?P<rest>(?i:api_key)=.*)$", views.station_mismatch),
    path("api/readings/", ReadingsApi.as_view(), name="api-readings"),
    # Reading: devices, readings page by page, CSV export, the OpenAPI schema and its docs page.
    path("api/", include("readings.read_urls")),
    path("admin/", admin.site.urls),
    # Each household member's notifications: which rules reach them, and where (/notifications/).
    path("", include("alerts.urls")),
    # The household's dashboard at /, its read API (/api/history/, /api/latest/) and login.
    path("", include("dashboard.urls")),
    # ThingSpeak's API: /update, /update.json, /channels/<id>/... (a channel is a device).
    path("", include("thingspeak_compat.urls")),
]
