"""Refusals: why a request stores nothing, as a one-line reason and the HTTP status to answer."""

from __future__ import annotations


class Refused(Exception):
    """The request is malformed or implausible: 400."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(Refused):
    """The key, the MAC or the device does not allow this write: 403."""

    status = 403
