"""Request bodies as JSON, refusing hostile ones (too large, too deep, not JSON) with a reason."""

from __future__ import annotations

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from iotserver.refusals import Refused

# A batch of 1,000 readings is about 80 kB; four times that leaves room for long timestamps.
MAX_JSON_BYTES = 320 * 1024


def parse_json(raw: bytes, *, limit: int = MAX_JSON_BYTES) -> object:
    """The body's JSON value; Refused for a body too large, not JSON, or nested too deeply."""
    if len(raw) > limit:
        raise Refused(f"body too large: at most {limit} bytes")
    try:
        return json.loads(raw)
    except RecursionError:  # json nests recursively: 100,000 '[' would otherwise end in a 500
        raise Refused("JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise Refused("the body is not valid JSON") from None


class GuardedJSONParser(JSONParser):
    """DRF's JSON parser through parse_json: a hostile body is a 400 with a reason, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isascii() and length.isdigit() and int(length) > MAX_JSON_BYTES:
            raise ParseError(f"body too large: at most {MAX_JSON_BYTES} bytes")
        try:
            return parse_json(stream.read(MAX_JSON_BYTES + 1) if stream is not None else b"")
        except Refused as refusal:
            raise ParseError(refusal.reason) from None
