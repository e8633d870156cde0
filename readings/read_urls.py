"""The read API's URLs, its OpenAPI schema and the schema's documentation page (under /api/)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from readings import exports
from readings.read_api import DeviceHistoryApi, DeviceReadingsApi, DevicesApi

urlpatterns = [
    path("devices/", DevicesApi.as_view(), name="api-devices"),
    path("devices/<int:device>/readings/", DeviceReadingsApi.as_view(), name="api-device-readings"),
    path("devices/<int:device>/history/", DeviceHistoryApi.as_view(), name="api-device-history"),
    path("devices/<int:device>/readings.csv", exports.readings_csv, name="export-readings-csv"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
