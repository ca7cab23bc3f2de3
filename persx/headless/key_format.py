"""The app key's text: ``pxk_<prefix>_<secret>``, and the digest stored for it."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"^pxk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class NewKey:
    prefix: str
    text: str  # the whole key: shown once, never stored
    digest: str


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_key() -> NewKey:
    prefix = secrets.token_hex(6)
    text = f"pxk_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix, text, digest_of(text))


def prefix_of(text: str) -> str | None:
    """The prefix of a well-formed key (None: not a key)."""
    match = KEY_PATTERN.match(text)
    return match.group(1) if match else None


def matches(text: str, digest: str) -> bool:
    return hmac.compare_digest(digest_of(text), digest)
