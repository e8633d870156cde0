"""Keys cut out of every log line: the station URL carries its key in the path, ThingSpeak's in the query.

The server decodes percent-escapes before it reads a parameter's name, so `API%5Fkey=` and
`api%5fkey=` carry a key as surely as `API_key=`; the patterns here match a name in any mix of
plain and percent-encoded characters. Every line is redacted: gunicorn's access log (all of it,
Referer and User-Agent included), gunicorn's error log (a malformed request line is logged with
its path), and Django's log, tracebacks included.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

REDACTED = "<redacted>"


def _encodable(text: str) -> str:
    """A pattern matching `text` with any of its characters percent-encoded (case-insensitive)."""
    parts = []
    for char in text:
        codes = {f"%{ord(c):02x}" for c in {char.lower(), char.upper()}}  # %41 and %61 are both a
        encoded = "|".join(f"{code[:2]}[{code[2]}{code[2].upper()}]" for code in sorted(codes))
        parts.append(f"(?:{re.escape(char)}|{encoded})")
    return "".join(parts)


_EQUALS = _encodable("=")
# Where a parameter starts: a line's start, ? & ; / a space or a quote, or ? & / percent-encoded
# (a Referer's ?next= holds a whole URL, encoded).
_AFTER_SEPARATOR = r"(?:^|(?<=[?&;/\s\"'])|(?<=%3[fF])|(?<=%26)|(?<=%2[fF]))"
# The station URL's `API_key=` (any name ending in it: write_api_key=, read_api_key=), wherever it
# stands, and ThingSpeak's `key=` where a parameter starts. Its value runs to the next separator.
_KEY_NAME = re.compile(
    rf"((?:{_encodable('api_key')}|{_AFTER_SEPARATOR}(?:{_encodable('key')})){_EQUALS})", re.IGNORECASE
)
# A value ends where a path segment, a parameter or the request line's URI does. Only these
# spaces end it: str's whitespace also holds control characters a value may carry.
_VALUE = re.compile(r"[^/?&; \t\r\n]*")


def redact(text: str) -> str:
    """`text` with the value after every key parameter's name replaced by <redacted>."""
    out, position = [], 0
    for match in _KEY_NAME.finditer(text):
        if match.start() < position:
            continue
        value = _VALUE.match(text, match.end())
        assert value is not None, "_VALUE matches the empty string too"
        out += [text[position : match.end()], REDACTED]
        position = value.end()
    out.append(text[position:])
    return "".join(out)


class RedactKeysFilter(logging.Filter):
    """Redacts a record's message and its traceback: 'Bad Request: /update/API_key=...' keeps no key."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Anything shaped like a key (devices.keys: 8 or more of A-Z a-z 0-9 - _ . ~) in what gunicorn
# quotes from a request it could not parse: a header line without its colon
# (`X-THINGSPEAKAPIKEY <key>`) carries a key with no parameter name to find it by. Such lines
# lose their header names too; they are rare, and a key in them is not.
_KEY_SHAPED = re.compile(r"(?<![A-Za-z0-9._~-])[A-Za-z0-9._~-]{8,}(?![A-Za-z0-9._~-])")
_UNPARSED_REQUEST = "Invalid request from"


class RedactUnparsedRequestsFilter(logging.Filter):
    """gunicorn's 'Invalid request from ip=...: <what the client sent>' keeps no key-shaped word."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(_UNPARSED_REQUEST):
            where, _, sent = message.partition(": ")
            record.msg, record.args = where + ": " + _KEY_SHAPED.sub(REDACTED, sent), None
        return True


class RedactingLogger(Logger):
    """Gunicorn's logs, redacted: every access-log atom, and every line of the error log."""

    def __init__(self, cfg):
        super().__init__(cfg)
        wanted = {
            self.error_log: (RedactKeysFilter, RedactUnparsedRequestsFilter),
            self.access_log: (RedactKeysFilter,),
        }
        for log, kinds in wanted.items():
            for kind in kinds:
                if not any(isinstance(existing, kind) for existing in log.filters):
                    log.addFilter(kind())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str):
                atoms[name] = redact(value)
        return atoms
