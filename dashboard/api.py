"""The dashboard's read API: GET /api/history/ for the chart, GET /api/latest/ for live updates."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from django.utils.cache import get_conditional_response
from django.utils.decorators import method_decorator
from django.utils.timezone import now
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.access import DashboardReader
from dashboard.forecast import window_forecast
from dashboard.selectors import household_overview
from dashboard.serializers import History, HistoryQuery, Latest
from dashboard.shares import share_link_use
from readings.selectors import fields_with_latest, history_series

RANGE_SPANS = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
MAX_POINTS = 500  # per series per view: more than a phone's width in pixels


def _rounded(value: float | None) -> float | None:
    # Two decimals is finer than any board's sensor, and halves the JSON.
    return None if value is None else round(value, 2)


# History holds no secret (and reflects only the parsed numbers of a zoom), so compressing it
# cannot leak one (BREACH).
@method_decorator(gzip_page, name="dispatch")
@extend_schema(parameters=[HistoryQuery], responses=History)  # for /api/schema/
class HistoryApi(APIView):
    """Every active station's fields over a range, downsampled to at most 500 buckets a series.

    A zoom (start and end, Unix seconds) gets the same 500 buckets over its narrower span, so
    zooming in on the chart shows finer buckets, down to the raw readings.
    """

    permission_classes = [DashboardReader]

    def get(self, request: Request) -> Response:
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if "start" in query.validated_data:
            name = "zoom"
            start = datetime.fromtimestamp(query.validated_data["start"], tz=UTC)
            end = datetime.fromtimestamp(query.validated_data["end"], tz=UTC)
        else:
            name = query.validated_data["range"]
            end = now()
            start = end - RANGE_SPANS[name]
        fields = list(fields_with_latest())
        width, found = history_series(
            series=[(f.device_id, f.number) for f in fields], start=start, end=end, max_points=MAX_POINTS
        )
        series = [
            {
                "key": f"{f.device_id}-{f.number}",
                "device": f.device_id,
                "name": f.device.name,
                "placement": f.device.placement,
                "field": f.number,
                "label": f.label,
                "unit": f.unit,
                "kind": f.kind,
                "points": [
                    [int(b.start.timestamp()), _rounded(b.low), _rounded(b.mean), _rounded(b.high)]
                    for b in found[(f.device_id, f.number)]
                ],
            }
            for f in fields
        ]
        body = {"range": name, "start": start, "end": end, "bucket_seconds": width, "series": series}
        return Response(History(body).data)


@extend_schema(responses={200: Latest, 304: None})  # for /api/schema/
class LatestApi(APIView):
    """The latest value of every station and the advice; polled by the page, answered 304 when unchanged."""

    permission_classes = [DashboardReader]

    def get(self, request: Request) -> Response:
        overview = household_overview(at=now())
        forecast = window_forecast(overview=overview)
        body = Latest(
            {
                "advice": overview.advice,
                "forecast": {"state": forecast.state, "at": forecast.at, "text": forecast.text},
                "means": {side.placement: _rounded(side.mean) for side in overview.sides},
                "series": [
                    {
                        "key": s.key,
                        "value": s.value,
                        "at": s.at,
                        "stale": s.stale,
                        "low": s.low,
                        "high": s.high,
                        "trend": s.trend_word,
                    }
                    for s in overview.series
                ],
            }
        ).data
        # The body holds no clock of its own, so it changes only when a reading, a minimum, a
        # trend, the advice or a station's freshness does: that makes it its own version.
        etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache, private"}
        # Django's own If-None-Match matching (lists, weak tags, "*"), as condition() uses it; the
        # tag is made from the body, so a decorator would have to build the overview twice.
        if get_conditional_response(request, etag=etag) is not None:
            return Response(status=304, headers=headers)
        return Response(body, headers=headers)


class ShareLinkReader(BasePermission):
    """Reads through a share link: the URL's token must name an active link (its use is recorded)."""

    message = "this link is unknown or was revoked"

    def has_permission(self, request, view) -> bool:
        return share_link_use(token=view.kwargs.get("token", "")) is not None


# A share link's view of the same answers; not part of the documented API, so not in the schema.
@extend_schema(exclude=True)
class SharedHistoryApi(HistoryApi):
    permission_classes = [ShareLinkReader]

    def get(self, request: Request, token: str = "") -> Response:  # the token is checked by the permission
        return super().get(request)


@extend_schema(exclude=True)
class SharedLatestApi(LatestApi):
    permission_classes = [ShareLinkReader]

    def get(self, request: Request, token: str = "") -> Response:
        return super().get(request)
