"""Keys cut out of every log line: the station URL carries its key in the path."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

_KEY_IN_PATH = re.compile(r"(API_key=)[^/\s?]*", re.IGNORECASE)
_KEY_IN_QUERY = re.compile(r"((?:^|[?&\s])(?:api_key|write_api_key|key)=)[^&\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    return _KEY_IN_QUERY.sub(r"\1<redacted>", _KEY_IN_PATH.sub(r"\1<redacted>", text))


class RedactKeysFilter(logging.Filter):
    """For Django's loggers: 'Bad Request: /update/API_key=...' must not keep the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingLogger(Logger):
    """Gunicorn's access log, with the request line and path redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "q"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms
