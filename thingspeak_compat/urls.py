"""ThingSpeak's paths. /update and /update.json sit beside the station URL's /update/API_key=...."""

from django.urls import path, re_path

from thingspeak_compat import views

urlpatterns = [
    re_path(r"^update/?$", views.update, name="thingspeak-update"),
    re_path(r"^update\.json/?$", views.update_json, name="thingspeak-update-json"),
    path("channels/<int:channel>/bulk_update.json", views.bulk_update, name="thingspeak-bulk-update"),
    path("channels/<int:channel>/fields/<int:field>/last", views.last, {"fmt": "txt"}),
]
# Each read in its JSON and CSV form: variants of one view, told apart by a kwarg.
for fmt in ("json", "csv"):
    urlpatterns += [
        path(f"channels/<int:channel>/feeds.{fmt}", views.feed, {"fmt": fmt}, name=f"thingspeak-feed-{fmt}"),
        path(f"channels/<int:channel>/fields/<int:field>.{fmt}", views.feed, {"fmt": fmt}),
        path(f"channels/<int:channel>/feeds/last.{fmt}", views.last, {"fmt": fmt}),
        path(f"channels/<int:channel>/fields/<int:field>/last.{fmt}", views.last, {"fmt": fmt}),
    ]
