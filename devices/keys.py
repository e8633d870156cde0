"""API keys: made by the server, kept only as a hash, checked with one indexed lookup.

A SHA-256 of a 192-bit random key cannot be brute-forced, so a slow password hasher would
only slow every reading down. Lookup is by the hash, so timing reveals nothing of the key.
"""

from __future__ import annotations

import hashlib
import secrets

GENERATED_KEY_BYTES = 24  # 192 bits of entropy; token_urlsafe gives 32 characters of [A-Za-z0-9_-]
CHOSEN_KEY_MIN_LENGTH = 8
PREFIX_LENGTH = 6  # enough to tell keys apart in the admin, far too little to guess the rest


def new_key() -> str:
    return secrets.token_urlsafe(GENERATED_KEY_BYTES)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def check_chosen_key(key: str) -> None:
    """A key the admin picks (to keep an old board's key) must still be usable in a URL path."""
    if len(key) < CHOSEN_KEY_MIN_LENGTH:
        raise ValueError(f"a key needs at least {CHOSEN_KEY_MIN_LENGTH} characters")
    if not all(c.isascii() and (c.isalnum() or c in "-_.~") for c in key):
        raise ValueError("a key may hold only letters, digits and - _ . ~")
