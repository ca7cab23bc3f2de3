"""The signed first-party profile cookie: what the server renders from.

The payload is compact JSON, signed (and timestamped) with Django's signing framework.
Anything tampered, expired, oversized or malformed decodes to ``None``: the visitor gets
generic content and a 200, never an error. Values are re-checked against the catalog, so
a stale cookie naming a removed industry or persona degrades gracefully too.

Beside the profile, the cookie remembers the last ``?industry=`` value a link stated
(``link``): the middleware applies a link's industry once, so reloading that URL later does
not overrule a choice the visitor made since (docs/profile-precedence.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core import signing

from persx.config import config
from persx.engine.visitor.catalog import Catalog
from persx.engine.visitor.profile import ConsentState, Provenance, VisitorProfile

SALT = "persx.profile.v1"
MAX_LIST = 20
MAX_TEXT = 80


@dataclass(frozen=True)
class DecodedCookie:
    profile: VisitorProfile | None
    issued_at: float = 0.0
    problem: str = ""
    link: str = ""  # the last ?industry= value applied (a known industry slug, or "")


def _ts(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def _dt(value: Any) -> datetime | None:
    if isinstance(value, int | float) and 0 < value < 32_503_680_000:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def encode(profile: VisitorProfile, now: datetime, link: str = "") -> str:
    payload = {
        "v": profile.visitor_id,
        "i": profile.industry,
        "p": profile.persona,
        "c": round(profile.persona_confidence, 4),
        "g": list(profile.goals),
        "t": list(profile.tools),
        "r": profile.role,
        "is": profile.industry_source,
        "ps": profile.persona_source,
        "sa": _ts(profile.set_at),
        "ua": _ts(profile.updated_at),
        "cs": str(profile.consent),
        "ia": int(now.timestamp()),
    }
    if link:
        payload["l"] = link
    return signing.dumps(payload, salt=SALT, compress=True)


def _provenance(value: Any) -> Provenance | None:
    return Provenance(value) if value in Provenance._value2member_map_ else None


def _slug_list(value: Any, allowed: frozenset[str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value[:MAX_LIST] if isinstance(v, str) and v in allowed)


def decode(raw: str | None, catalog: Catalog) -> DecodedCookie:
    if not raw:
        return DecodedCookie(None)
    conf = config()
    if len(raw) > conf.profile_cookie_max_bytes:
        return DecodedCookie(None, problem="oversized")
    try:
        payload = signing.loads(raw, salt=SALT, max_age=conf.profile_cookie_max_age)
    except signing.SignatureExpired:
        return DecodedCookie(None, problem="expired")
    except (signing.BadSignature, ValueError, UnicodeError, OverflowError):
        return DecodedCookie(None, problem="bad_signature")
    if not isinstance(payload, dict):
        return DecodedCookie(None, problem="malformed")
    visitor_id = payload.get("v")
    industry = payload.get("i")
    if not (isinstance(visitor_id, str) and 8 <= len(visitor_id) <= 32):
        return DecodedCookie(None, problem="malformed")
    if catalog.industry(industry if isinstance(industry, str) else None) is None:
        return DecodedCookie(None, problem="unknown_industry")
    persona_slug = payload.get("p")
    persona = catalog.persona(persona_slug if isinstance(persona_slug, str) else None)
    if persona is not None and persona.industry != industry:
        persona = None
    confidence = payload.get("c")
    role = payload.get("r")
    consent = payload.get("cs")
    issued = payload.get("ia")
    profile = VisitorProfile(
        visitor_id=visitor_id,
        industry=industry,
        persona=persona.slug if persona else None,
        persona_confidence=float(confidence)
        if persona and isinstance(confidence, int | float)
        else 0.0,
        goals=_slug_list(payload.get("g"), catalog.goal_slugs()),
        tools=_slug_list(payload.get("t"), catalog.tool_slugs()),
        role=role[:MAX_TEXT] if isinstance(role, str) else "",
        industry_source=_provenance(payload.get("is")),
        persona_source=_provenance(payload.get("ps")) if persona else None,
        set_at=_dt(payload.get("sa")),
        updated_at=_dt(payload.get("ua")),
        consent=ConsentState(consent)
        if isinstance(consent, str) and consent in ConsentState._value2member_map_
        else ConsentState.UNKNOWN,
    )
    link = payload.get("l")
    return DecodedCookie(
        profile,
        float(issued) if isinstance(issued, int | float) else 0.0,
        link=link if isinstance(link, str) and catalog.industry(link) is not None else "",
    )
