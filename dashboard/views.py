"""The dashboard page and the login that keeps a phone signed in when asked to."""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import now
from django.views.decorators.cache import cache_control, never_cache

from dashboard.access import may_read_dashboard
from dashboard.forecast import window_forecast
from dashboard.models import ShareLink
from dashboard.records import household_records
from dashboard.selectors import household_overview
from dashboard.serializers import RANGES
from dashboard.shares import share_link_create, share_link_revoke, share_link_use
from readings.advice import one_decimal


def _dashboard_page(request: HttpRequest, *, latest: str, history: str, shared: bool) -> HttpResponse:
    overview = household_overview(at=now())
    before, _, after = overview.advice.text.partition("{delta}")
    context = {
        "overview": overview,
        "forecast": window_forecast(overview=overview),
        "advice_before": before,
        "advice_after": after,
        "delta_text": one_decimal(abs(overview.advice.difference or 0)) + "°",
        "hysteresis": settings.WINDOW_HYSTERESIS,
        "stale_minutes": settings.STALE_AFTER_MINUTES,
        "ranges": RANGES,
        "time_zone": settings.TIME_ZONE,
        "shared": shared,
        # Clock times on the page are the household's, wherever the phone happens to be.
        "page_config": {
            "latest": latest,
            "history": history,
            "timeZone": settings.TIME_ZONE,
            "serviceWorker": None if shared else reverse("service-worker"),
        },
    }
    return render(request, "dashboard/index.html", context)


@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    if not may_read_dashboard(request.user):
        return redirect_to_login(request.get_full_path())
    return _dashboard_page(
        request, latest=reverse("api-latest"), history=reverse("api-history"), shared=False
    )


@never_cache
def shared_dashboard(request: HttpRequest, token: str) -> HttpResponse:
    """The dashboard through a share link: no login, and its API calls carry the same token."""
    if share_link_use(token=token) is None:
        raise Http404("no such link, or it was revoked")
    response = _dashboard_page(
        request,
        latest=reverse("shared-latest", args=[token]),
        history=reverse("shared-history", args=[token]),
        shared=True,
    )
    # The token is in the address: keep it out of Referer headers and out of search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


class ShareForm(forms.Form):
    name = forms.CharField(max_length=80, label="Who is it for?", initial="Shared view")


@never_cache
@login_required
def share_links(request: HttpRequest) -> HttpResponse:
    """A member's list of share links: create one (its address shown once), see its last use, revoke it."""
    form = ShareForm(request.POST if request.method == "POST" and "name" in request.POST else None)
    if request.method == "POST":
        if "revoke" in request.POST:
            link = ShareLink.objects.filter(pk=request.POST.get("revoke", "")).first()
            if link is not None:
                share_link_revoke(link=link)
            return redirect("share-links")
        if form.is_valid():
            made = share_link_create(name=form.cleaned_data["name"], user=request.user)
            # Shown once, by the page the redirect lands on: a reload then makes no second link.
            request.session["issued_share"] = {
                "name": made.link.name,
                "url": request.build_absolute_uri(reverse("shared", args=[made.token])),
            }
            return redirect("share-links")
    issued = request.session.pop("issued_share", None)
    context = {"links": ShareLink.objects.all(), "form": form, "issued": issued}
    return render(request, "dashboard/share_links.html", context)


@never_cache
def records(request: HttpRequest) -> HttpResponse:
    """Each side's highs and lows by period, warmest night, coldest day, and month and year tables."""
    if not may_read_dashboard(request.user):
        return redirect_to_login(request.get_full_path())
    sides = household_records(at=now())
    context = {
        "sides": sides,
        "warm": settings.RECORDS_WARM_DAY,
        "frost": settings.RECORDS_FROST_NIGHT,
        "time_zone": settings.TIME_ZONE,
        "back": reverse("dashboard"),
    }
    return render(request, "dashboard/records.html", context)


# What the page needs to draw itself without a network: kept by the service worker.
SHELL_FILES = (
    "dashboard/dashboard.css",
    "dashboard/dashboard.js",
    "dashboard/vendor/uPlot.min.css",
    "dashboard/vendor/uPlot.iife.min.js",
    "dashboard/icons/icon.svg",
    "dashboard/icons/icon-192.png",
)


# Both are public: a browser fetches the manifest without cookies, and neither holds a value.
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [static(name) for name in SHELL_FILES]
    # Static names carry their content's hash in production: a new deploy is a new worker.
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    context = {"shell": json.dumps(shell), "version": version}
    return render(request, "dashboard/sw.js", context, content_type="text/javascript")


@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: what a phone needs to put the dashboard on its home screen."""
    icons = [
        {"src": static("dashboard/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        {"src": static("dashboard/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("dashboard/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        # The same drawing: full bleed, with every mark inside the safe circle a mask keeps.
        {
            "src": static("dashboard/icons/icon-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    body = {
        "name": "Home weather",
        "short_name": "Weather",
        "description": "Inside and outside temperatures, and whether to open the windows",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f5f7",
        "theme_color": "#1f77b4",
        "icons": icons,
    }
    return JsonResponse(body, content_type="application/manifest+json")


class RememberingLoginForm(AuthenticationForm):
    remember = forms.BooleanField(label="Keep me logged in on this device", required=False, initial=True)


class LoginView(auth_views.LoginView):
    """Django's login; unticking "keep me logged in" ends the session when the browser closes."""

    form_class = RememberingLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if not form.cleaned_data.get("remember"):
            self.request.session.set_expiry(0)
        return response
