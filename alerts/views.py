"""The household page for notifications: each member picks the rules that reach them and where they go."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from alerts.forms import ChannelForm, SubscriptionsForm
from alerts.models import Rule
from alerts.selectors import channels_of
from alerts.services import channel_add, channel_remove, subscriptions_set


def _page(request: HttpRequest, *, subscriptions=None, channel_form=None, status: int = 200) -> HttpResponse:
    user = request.user
    assert not isinstance(user, AnonymousUser), "the views are login_required"
    context = {
        "subscriptions": subscriptions
        or SubscriptionsForm(initial={"rules": Rule.objects.filter(subscription__user=user)}),
        "channel_form": channel_form or ChannelForm(),
        "channels": channels_of(user=user),
    }
    return render(request, "alerts/notifications.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = SubscriptionsForm(request.POST)
    if not form.is_valid():
        return _page(request, subscriptions=form, status=400)
    subscriptions_set(user=request.user, rules=form.cleaned_data["rules"])
    return redirect("notifications")


@login_required
@require_POST
def channel_new(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST)
    if not form.is_valid():
        return _page(request, channel_form=form, status=400)
    channel_add(user=request.user, **{k: form.cleaned_data[k] for k in ("name", "kind", "url", "email")})
    return redirect("notifications")


@login_required
@require_POST
def channel_delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    if not channel_remove(user=request.user, channel_id=channel_id):
        return HttpResponse("No such channel of yours.", status=404, content_type="text/plain")
    return redirect("notifications")
