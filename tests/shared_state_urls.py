"""The project's URLs plus a URL limited by DRF's throttling, whose counters live in the default cache."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from iotserver.urls import urlpatterns as project_urlpatterns


class FourPerMinute(AnonRateThrottle):
    rate = "4/minute"


class Throttled(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [FourPerMinute]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("test-only/throttled/", Throttled.as_view()), *project_urlpatterns]
