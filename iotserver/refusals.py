"""Refusals: why a request stores or shows nothing, carrying the HTTP status and headers to answer.

Services and selectors raise them; views never build an error answer by hand. Each protocol has
one renderer (the station URL's plain line, ThingSpeak's `0` / `-1`, JSON's `{"detail": ...}`),
applied by `answers_refusals` or, for the DRF views, by `iotserver.api.exception_handler`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from django.http import HttpResponse, HttpResponseBase

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class Refused(Exception):
    """The request is malformed or implausible: 400."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def applied_to(self, response: HttpResponse) -> HttpResponse:
        for name, value in self.headers.items():
            response[name] = value
        return response


class Forbidden(Refused):
    """The key, the MAC or the device does not allow this request: 403."""

    status = 403


class NotFound(Refused):
    """Nothing of that name that this request may see: 404 (never 403, so ids cannot be probed)."""

    status = 404


class WrongMethod(Refused):
    """A method this URL does not take: 405, with the ones it does take as Allow."""

    status = 405

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{method[:10]} is not accepted here: use {' or '.join(allowed)}")
        self.allowed = allowed

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class Conflict(Refused):
    """The request clashes with what is stored already (an entry at that moment): 409."""

    status = 409


class TooMany(Refused):
    """Over a rate limit: 429, with the seconds until the window ends as Retry-After."""

    status = 429

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def plain_text(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def plain_line(refusal: Refused, **_) -> HttpResponse:
    """A refusal as its reason on one plain-text line: the station URL's and the CSV export's answer."""
    return plain_text(refusal.reason + "\n", status=refusal.status)


def allowed_methods(*methods: str) -> Callable[[View], View]:
    """Like Django's require_http_methods, but refusing with a WrongMethod, so that the protocol's
    renderer answers it (Django's own 405 has an empty HTML body). Put it inside answers_refusals."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs) -> HttpResponseBase:
            if request.method not in methods:
                raise WrongMethod(request.method or "", methods)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def answers_refusals(render: Callable[..., HttpResponse]) -> Callable[[View], View]:
    """Decorate a view so that a Refused it raises is answered by `render`, with its headers.

    `render` is called with the refusal and the view's URL keyword arguments (a read's `fmt`).
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args, **kwargs) -> HttpResponseBase:
            try:
                return view(*args, **kwargs)
            except Refused as refusal:
                return refusal.applied_to(render(refusal, **kwargs))

        return wrapped  # type: ignore[return-value]

    return decorate
