"""Project-wide pieces of the JSON API: every error as one `{"detail": ...}` line, with its headers."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from iotserver.refusals import Refused


def first_message(detail: object, path: tuple[str, ...] = ()) -> str:
    """DRF's nested error detail as the one line a person needs: 'readings.3.data: must be a number'."""
    if isinstance(detail, dict) and detail:
        name, inner = next(iter(detail.items()))
        return first_message(inner, path if name == "non_field_errors" else (*path, str(name)))
    if isinstance(detail, list):
        for index, inner in enumerate(detail):
            if inner:
                return first_message(inner, (*path, str(index)) if isinstance(inner, dict) else path)
    where, text = ".".join(path), str(detail)
    # A refusal from iotserver's parsers names its field already ("start must be ...").
    return f"{where}: {text}" if where and not text.startswith(path[-1] + " ") else text


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus the project's refusals, and validation errors on one line."""
    if isinstance(exc, Refused):
        return Response({"detail": exc.reason}, status=exc.status, headers=exc.headers)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"detail": first_message(exc.detail)}
    return response
