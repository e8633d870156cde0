"""ThingSpeak's paths. /update and /update.json sit beside the station URL's /update/API_key=....

Every path takes an optional trailing slash, as ThingSpeak's server does (`feeds.json/`).
"""

import functools

from django.urls import re_path

from thingspeak_compat import views

ID = r"[0-9]{1,18}"  # ASCII digits (\d takes any script's), and small enough for a 64-bit column
CHANNEL = rf"^channels/(?P<channel>{ID})"
FIELD = rf"/fields/(?P<field>{ID})"
SLASH = r"/?$"


def _int_kwargs(view):
    """re_path hands over text; the views take channel, field and entry ids as numbers."""

    @functools.wraps(view)  # keeps csrf_exempt
    def wrapped(request, **kwargs):
        for name in ("channel", "field", "entry_id"):
            if name in kwargs:
                kwargs[name] = int(kwargs[name])
        return view(request, **kwargs)

    return wrapped


def route(pattern: str, view, fixed: dict | None = None, name: str | None = None):
    return re_path(pattern + SLASH, _int_kwargs(view), fixed or {}, name=name)


urlpatterns = [
    re_path(r"^update/?$", views.update, name="thingspeak-update"),
    re_path(r"^update\.json/?$", views.update_json, name="thingspeak-update-json"),
    route(CHANNEL + r"/bulk_update\.json", views.bulk_update, {"fmt": "json"}, "thingspeak-bulk-update"),
    route(CHANNEL + r"/bulk_update\.csv", views.bulk_update, {"fmt": "csv"}),
    # Without a format: a field's last value as text; the last entry as JSON text.
    route(CHANNEL + FIELD + r"/last", views.last, {"fmt": "txt"}),
    route(CHANNEL + r"/feeds/last", views.last, {"fmt": "txt"}),
    route(CHANNEL + r"\.json", views.channel_view, {"fmt": "json"}),
    route(CHANNEL + r"\.xml", views.channel_view, {"fmt": "xml"}),
    route(CHANNEL + r"/status\.json", views.status_feed, {"fmt": "json"}),
]
# Each read in its forms: variants of one view, told apart by a kwarg.
for fmt in ("json", "csv", "xml", "txt"):
    if fmt != "txt":
        urlpatterns += [
            route(CHANNEL + rf"/feeds\.{fmt}", views.feed, {"fmt": fmt}, f"thingspeak-feed-{fmt}"),
            route(CHANNEL + FIELD + rf"\.{fmt}", views.feed, {"fmt": fmt}),
        ]
    urlpatterns += [
        route(CHANNEL + rf"/feeds/last\.{fmt}", views.last, {"fmt": fmt}),
        route(CHANNEL + FIELD + rf"/last\.{fmt}", views.last, {"fmt": fmt}),
        route(CHANNEL + rf"/feeds/(?P<entry_id>{ID})\.{fmt}", views.entry, {"fmt": fmt}),
        route(CHANNEL + FIELD + rf"/last_data_age\.{fmt}", views.last_data_age, {"fmt": fmt}),
        route(CHANNEL + rf"/feeds/last_data_age\.{fmt}", views.last_data_age, {"fmt": fmt}),
    ]
urlpatterns += [route(CHANNEL + rf"/feeds/(?P<entry_id>{ID})", views.entry, {"fmt": "txt"})]
