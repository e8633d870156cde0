"""Request body parsing that refuses hostile JSON with a 400 instead of failing."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A batch of 1,000 readings is about 80 kB; four times that leaves room for long timestamps.
MAX_JSON_BYTES = 320 * 1024


class GuardedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > MAX_JSON_BYTES:
            raise ParseError(f"body too large: at most {MAX_JSON_BYTES} bytes")
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json nests recursively; a body of 100,000 '[' would otherwise end in a 500.
            raise ParseError("JSON nested too deeply") from None
