"""Gunicorn's access log, with API keys cut out: the station URL carries its key in the path."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

_KEY_IN_PATH = re.compile(r"(API_key=)[^/\s?]*", re.IGNORECASE)
_KEY_IN_QUERY = re.compile(r"((?:^|[?&])(?:api_key|write_api_key)=)[^&\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    return _KEY_IN_QUERY.sub(r"\1<redacted>", _KEY_IN_PATH.sub(r"\1<redacted>", text))


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "q"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms
