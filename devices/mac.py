"""MAC addresses: accepted in any case, with ':' or '-' or none, stored as aa:bb:cc:dd:ee:ff."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_MAC = re.compile(r"[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}")


def normalise_mac(text: str) -> str:
    """The stored form of a MAC address; ValueError when it is not one."""
    candidate = text.strip().lower()
    if not _MAC.fullmatch(candidate):
        raise ValueError(f"not a MAC address: {text[:40]!r}")
    digits = candidate.replace(":", "").replace("-", "")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def validate_mac(text: str) -> None:
    try:
        normalise_mac(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None
