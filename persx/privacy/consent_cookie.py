"""The signed ``persx_consent`` cookie: the visitor's Accept/Decline, nothing else.

A cookie of its own, not a field of the profile cookie: the choice must exist for visitors
who never filled in the start form (the profile cookie only exists once they did), it
must survive "forget me" (which deletes the profile cookie: a visitor who declined and
then erased their data has not changed their mind), and it carries no personal data — no
visitor id — so it is strictly necessary storage in its own right. Signed so a third
party cannot plant a "granted"; anything tampered or malformed reads as no choice.
"""

from __future__ import annotations

from datetime import datetime

from django.core import signing

from persx.engine.visitor.profile import ConsentState

SALT = "persx.consent.v1"
COOKIE_NAME = "persx_consent"
MAX_AGE_S = 180 * 24 * 3600  # ask again after six months (common CMP practice)
CHOICES = (ConsentState.GRANTED, ConsentState.DENIED)


def encode(choice: ConsentState, now: datetime) -> str:
    if choice not in CHOICES:
        raise ValueError(f"not a consent choice: {choice}")
    return signing.dumps({"s": str(choice), "at": int(now.timestamp())}, salt=SALT)


def decode(raw: str | None) -> ConsentState | None:
    if not raw or len(raw) > 200:
        return None
    try:
        payload = signing.loads(raw, salt=SALT, max_age=MAX_AGE_S)
    except (signing.BadSignature, ValueError, UnicodeError, OverflowError):
        return None
    state = payload.get("s") if isinstance(payload, dict) else None
    if not isinstance(state, str) or state not in {str(c) for c in CHOICES}:
        return None
    return ConsentState(state)
