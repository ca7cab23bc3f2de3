"""Tracked links: every link of a sent email points at ``<base>/e/<token>/``.

The token is signed and timestamped with Django's signing framework (own salt), so it
cannot be forged or edited, and it expires (``PERSX_EMAIL_LINK_MAX_AGE_DAYS``). Its payload
is compact: ``[message id, target path, block key]`` as JSON, compressed when that is
shorter. Only same-site targets are tracked: a path (``/contact/``) or an absolute URL on the
site's own origin (kept as its path). Anything else is refused here, when the link is made,
and again when a click is read, so ``/e/…`` can never redirect off the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.core import signing
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from persx.email_delivery.delivery_settings import base_url, link_max_age

SALT = "persx.email.link.v1"
MAX_TOKEN_CHARS = 1200  # a long landing URL with UTM parameters fits in well under this
MAX_TARGET_CHARS = 800
MAX_BLOCK_KEY_CHARS = 80


class OffSiteTarget(ValueError):
    """A link target that is not on this site (or not a URL a browser should follow)."""


class BadLink(ValueError):
    """A token that is not one of ours: tampered, truncated, garbage, too long."""


class ExpiredLink(Exception):
    """A genuine token past its maximum age; ``target`` is where it pointed (same-site)."""

    def __init__(self, target: str) -> None:
        super().__init__(f"the link expired (it pointed at {target})")
        self.target = target


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a valid token says: which message's link, where to, from which block."""

    message_id: int
    target: str
    block_key: str


def same_site_path(target: str) -> str:
    """``target`` as a path on this site (query and fragment kept); raises OffSiteTarget."""
    text = (target or "").strip()
    if not text or len(text) > MAX_TARGET_CHARS:
        raise OffSiteTarget(f"target: expected a site path of 1-{MAX_TARGET_CHARS} characters")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in text):
        raise OffSiteTarget("target: control characters are not allowed")
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        site = urlsplit(base_url())
        if (parts.scheme.lower(), parts.netloc.lower()) != (
            site.scheme.lower(),
            site.netloc.lower(),
        ):
            raise OffSiteTarget(f"target: {text[:80]} is not on this site ({base_url()})")
        text = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    if not text.startswith("/") or not url_has_allowed_host_and_scheme(
        text, allowed_hosts=set(), require_https=False
    ):
        raise OffSiteTarget(f"target: {text[:80]} is not a path on this site")
    return text


def link_token(message_id: int, target: str, block_key: str = "") -> str:
    """The signed token of one link of one message (raises OffSiteTarget)."""
    path = same_site_path(target)
    payload = [int(message_id), path, block_key[:MAX_BLOCK_KEY_CHARS]]
    return signing.dumps(payload, salt=SALT, compress=True)


def tracked_url(message_id: int, target: str, block_key: str = "") -> str:
    """The absolute tracked URL a sent email carries for ``target``."""
    token = link_token(message_id, target, block_key)
    return base_url() + reverse("email-click", args=[token])


def _claim(payload: object) -> LinkClaim:
    if not (isinstance(payload, list) and len(payload) == 3):
        raise BadLink("token: not a link token")
    message_id, target, block_key = payload
    if not (isinstance(message_id, int) and message_id > 0 and isinstance(block_key, str)):
        raise BadLink("token: not a link token")
    try:
        return LinkClaim(message_id, same_site_path(str(target)), block_key)
    except OffSiteTarget as exc:
        raise BadLink(f"token: {exc}") from None


def read_token(token: str) -> LinkClaim:
    """The claim of a valid token; raises ExpiredLink (genuine but old) or BadLink."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise BadLink(f"token: expected 1-{MAX_TOKEN_CHARS} characters")
    try:
        return _claim(signing.loads(token, salt=SALT, max_age=link_max_age()))
    except signing.SignatureExpired:
        expired = _claim(signing.loads(token, salt=SALT))
        raise ExpiredLink(expired.target) from None
    except (signing.BadSignature, ValueError, UnicodeError, OverflowError) as exc:
        if isinstance(exc, BadLink):
            raise
        raise BadLink("token: the link is damaged or not one of ours") from None
