"""The dashboard page and the login that keeps a phone signed in when asked to."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.timezone import now
from django.views.decorators.cache import never_cache

from dashboard.access import may_read_dashboard
from dashboard.selectors import household_overview
from dashboard.serializers import RANGES
from readings.advice import one_decimal


@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    if not may_read_dashboard(request.user):
        return redirect_to_login(request.get_full_path())
    overview = household_overview(at=now())
    before, _, after = overview.advice.text.partition("{delta}")
    context = {
        "overview": overview,
        "advice_before": before,
        "advice_after": after,
        "delta_text": one_decimal(abs(overview.advice.difference or 0)) + "°",
        "hysteresis": settings.WINDOW_HYSTERESIS,
        "stale_minutes": settings.STALE_AFTER_MINUTES,
        "ranges": RANGES,
        "time_zone": settings.TIME_ZONE,
        # Clock times on the page are the household's, wherever the phone happens to be.
        "page_config": {
            "latest": reverse("api-latest"),
            "history": reverse("api-history"),
            "timeZone": settings.TIME_ZONE,
        },
    }
    return render(request, "dashboard/index.html", context)


class RememberingLoginForm(AuthenticationForm):
    remember = forms.BooleanField(label="Keep me logged in on this device", required=False, initial=True)


class LoginView(auth_views.LoginView):
    """Django's login; unticking "keep me logged in" ends the session when the browser closes."""

    form_class = RememberingLoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        """`?next=`, unless it leads back to a login page: that would loop (Django answers it with a
        500), so a logged-in member following /accounts/login/?next=/accounts/login/ lands on `/`."""
        url = super().get_redirect_url()
        path = urlsplit(url).path
        try:
            leads_to_login = path == self.request.path or resolve(path).url_name == "login"
        except Resolver404:
            leads_to_login = False
        return "" if leads_to_login else url

    def form_valid(self, form):
        response = super().form_valid(form)
        if not form.cleaned_data.get("remember"):
            self.request.session.set_expiry(0)
        return response
