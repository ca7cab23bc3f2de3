"""One email template rendered for one recipient: the web's decisions, email-safe HTML.

Each personalizable block is decided by the code a page view runs: the recipient becomes
the profile a site visitor with the same id, industry and persona carries
(:func:`persx.personalization.context.visitor_context`: running experiments, bandits,
factorials and the global holdout, the account's unit for account-level experiments,
pinned units), all blocks are decided in one pass inside the decision budget
(``PersonalizationContext.decide_page``), and each block asks its own ``get_context`` as
its page template would. So a contact whose visitor id has a web decision gets the same
variant and the same experiment arm in the email (tests/web/test_email_render.py).

Emails have no page: they are decided with the page id ``""``, so an experiment scoped to
one page never covers an email block; site-wide and block-type experiments do.

Nothing raises out of :func:`render_for_recipient` for bad data: an unknown industry is a
recipient without a profile (reason ``no_profile``, as an ignored cookie is on the site);
a persona outside the industry is dropped; the running experiments failing to load, or a
block failing to decide, serves the generic base with reason ``error``.

Links: every link of the email (block buttons, links in rich text, the logo) is made
absolute with ``settings.WAGTAILADMIN_BASE_URL`` first and then passed through
``link(url, block_key)`` (the delivery app's tracked-link wrapper). The unsubscribe link is
the one exception: it is the caller's own signed URL, put in the footer as given (made
absolute when relative) and never counted as a click.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast
from urllib.parse import urljoin

import css_inline
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from persx.accounts.email_domains import company_domain
from persx.campaigns.email_blocks import TEXT
from persx.campaigns.rich_text import rewrite_links, to_plain_text
from persx.catalog.repository import current_catalog
from persx.config import config
from persx.content.blocks import PersonalizableBlock
from persx.content.plain_shape import plain
from persx.engine.deciding import block_types
from persx.engine.deciding.decision import ERROR, Decision
from persx.engine.deciding.decision_budget import DecisionBudget
from persx.engine.deciding.experiments import assign_visitor
from persx.engine.visitor.audience import GENERIC
from persx.engine.visitor.profile import ConsentState, Provenance, VisitorProfile
from persx.personalization.context import (
    PersonalizationContext,
    PersonalizedRequest,
    visitor_context,
)

logger = logging.getLogger("persx.campaigns")

# An email is not a page: no page-scoped experiment covers its blocks.
EMAIL_PAGE_ID = ""
# The fields of each block's content that hold a link.
LINK_FIELDS: Mapping[str, tuple[str, ...]] = {
    block_types.HERO: ("cta_url",),
    block_types.CTA: ("button_url",),
}
LOGO_PATH = "persx_campaigns/email-logo.png"
HEADER_KEY = "header"  # the block key of links outside any block (the logo)
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)

LinkFunction = Callable[[str, str], str]


class TemplateContent(Protocol):
    """What rendering reads of an email template (``persx.campaigns.models.EmailTemplate``,
    saved or still being edited)."""

    @property
    def pk(self) -> Any: ...

    @property
    def subject(self) -> str: ...

    @property
    def preheader(self) -> str: ...

    @property
    def body(self) -> Any: ...


def untracked(url: str, block_key: str) -> str:
    """The default link function: the URL itself."""
    return url


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    visitor_id: str  # '' when the contact has no site visitor id
    industry: str  # slug or ''
    persona: str  # slug or ''
    account_domain: str  # '' when no account
    # The analytics consent the contact had at signup ('granted' / 'denied' / 'unknown' or
    # ''): what an experiment that requires consent checks, as on the site.
    consent: str = ""


@dataclass(frozen=True, slots=True)
class BlockChoice:
    block: str  # the block's key in the template ("<template id>:<block id>")
    block_type: str
    variant: str  # the variant shown ('generic' for the base)
    reason: str  # the decision reason, same vocabulary as the web decision
    experiment: str  # experiment key or ''
    arm: str  # arm or ''
    personalized: bool  # a non-generic variant was shown


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str  # email-safe, CSS inlined
    text: str  # plain-text alternative
    choices: tuple[BlockChoice, ...]


@dataclass(frozen=True, slots=True)
class RenderedBlock:
    """One block of the email as shown to the recipient: its content in the plain shape
    (links already absolute and passed through the link function) and, for a
    personalizable block, its decision."""

    key: str
    block_type: str
    content: Any  # a dict of the block's fields; rich text: its HTML
    choice: BlockChoice | None = None


@dataclass(frozen=True, slots=True)
class EmailParts:
    """Everything an email is assembled from (the merge-field export reads these too)."""

    subject: str
    preheader: str
    blocks: tuple[RenderedBlock, ...]
    unsubscribe_url: str
    logo_url: str
    home_url: str
    postal_address: str
    choices: tuple[BlockChoice, ...] = field(default=())


def render_for_recipient(
    template: TemplateContent,
    recipient: Recipient,
    *,
    link: LinkFunction = untracked,
    unsubscribe_url: str = "",
) -> RenderedEmail:
    """``template`` for ``recipient``: subject, preheader, inlined HTML, plain text and the
    decision of every personalizable block."""
    return rendered_email(
        email_parts(template, recipient, link=link, unsubscribe_url=unsubscribe_url)
    )


def rendered_email(parts: EmailParts) -> RenderedEmail:
    """The finished email of ``parts``: inlined HTML and plain text beside the decisions."""
    return RenderedEmail(
        subject=parts.subject,
        preheader=parts.preheader,
        html=email_html(parts),
        text=email_text(parts),
        choices=parts.choices,
    )


def email_parts(
    template: TemplateContent,
    recipient: Recipient,
    *,
    link: LinkFunction = untracked,
    unsubscribe_url: str = "",
) -> EmailParts:
    """The decided blocks of ``template`` for ``recipient`` (see :func:`render_for_recipient`)."""
    return parts_for_context(
        template, decision_context(recipient), link=link, unsubscribe_url=unsubscribe_url
    )


def parts_for_context(
    template: TemplateContent,
    context: PersonalizationContext,
    *,
    link: LinkFunction = untracked,
    unsubscribe_url: str = "",
    base_url: str = "",
) -> EmailParts:
    """The blocks of ``template`` decided in ``context`` (a recipient's, or the studio's
    preview of an audience); site paths made absolute on ``base_url`` (default:
    ``WAGTAILADMIN_BASE_URL``)."""
    request = HttpRequest()
    cast(PersonalizedRequest, request).persx = context  # what the blocks read, as on a page
    parent = {"request": request}
    children = list(template.body or ())
    personalizable = [c for c in children if isinstance(c.block, PersonalizableBlock)]
    try:
        context.decide_page([c.block.page_block(c.value) for c in personalizable], EMAIL_PAGE_ID)
    except Exception:
        logger.exception("email decisions failed; blocks decide one by one")
    rendered: list[RenderedBlock] = []
    for child in children:
        key = f"{template.pk}:{child.id or ''}"
        block = child.block
        if isinstance(block, PersonalizableBlock):
            content, decision = _decided_content(block, child.value, parent)
            fields = _linked_fields(
                block.block_type, plain(content), _block_link(link, key, base_url)
            )
            rendered.append(
                RenderedBlock(key, block.block_type, fields, _choice(key, block, decision))
            )
        elif child.block_type == TEXT:
            html = rewrite_links(str(child.value), _block_link(link, key, base_url))
            rendered.append(RenderedBlock(key, TEXT, html))
    return EmailParts(
        subject=template.subject,
        preheader=template.preheader,
        blocks=tuple(rendered),
        unsubscribe_url=absolute_url(unsubscribe_url, base_url) if unsubscribe_url else "",
        logo_url=absolute_url(static(LOGO_PATH), base_url),
        home_url=_block_link(link, HEADER_KEY, base_url)("/"),
        postal_address=postal_address(),
        choices=tuple(b.choice for b in rendered if b.choice is not None),
    )


def recipient_for_contact(contact: Any) -> Recipient:
    """The recipient of a newsletter contact (``persx.newsletter.models.Contact``)."""
    account = getattr(contact, "account", None)
    return Recipient(
        email=contact.email,
        visitor_id=contact.visitor_id or "",
        industry=contact.industry or "",
        persona=contact.persona or "",
        account_domain=getattr(account, "domain", "") or "",
        consent=getattr(contact, "consent", "") or "",
    )


def recipient_profile(recipient: Recipient) -> VisitorProfile | None:
    """The profile a site visitor like ``recipient`` carries (None: no usable industry).

    Checked against the catalog as the profile cookie is: an unknown industry gives no
    profile, a persona outside the industry is dropped. A recipient without a visitor id
    is hashed by :func:`email_unit_id`.
    """
    catalog = current_catalog()
    industry = recipient.industry or None
    if industry is None or catalog.industry(industry) is None:
        return None
    persona = catalog.persona(recipient.persona or None)
    persona_slug = persona.slug if persona is not None and persona.industry == industry else None
    try:
        consent = ConsentState(recipient.consent or ConsentState.UNKNOWN)
    except ValueError:
        consent = ConsentState.UNKNOWN
    now = timezone.now()
    return VisitorProfile(
        recipient.visitor_id or email_unit_id(recipient.email),
        industry=industry,
        persona=persona_slug,
        persona_confidence=1.0 if persona_slug else 0.0,
        industry_source=Provenance.START_FORM,
        persona_source=Provenance.START_FORM if persona_slug else None,
        set_at=now,
        updated_at=now,
        consent=consent,
    )


def email_unit_id(email: str) -> str:
    """What experiments hash for a contact who never visited the site: a stable
    pseudonym of the address (never the address itself)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"email-{digest[:32]}"


def decision_context(recipient: Recipient) -> PersonalizationContext:
    """The personalization context of a page view by this recipient's visitor; on any
    problem, a context that serves every block generic with reason ``error``."""
    try:
        profile = recipient_profile(recipient)
        context = visitor_context(profile)
        domain = company_domain(recipient.account_domain) if recipient.account_domain else ""
        if profile is not None and domain and not context.visitor.account_key:
            # The contact's company is known though its visitor's account is not (or it
            # has no visitor): account-level experiments hash the company's domain.
            context.visitor = replace(context.visitor, account_key=domain)
        return context
    except Exception:
        logger.exception("email personalization unavailable; serving generic")
        return PersonalizationContext(
            visitor=assign_visitor(None),
            enabled=True,
            budget=DecisionBudget(time.thread_time, config().decision_budget_ms / 1000.0),
            experiments_unavailable=True,
        )


def absolute_url(url: str, base_url: str = "") -> str:
    """A site path ("/contact/") as an absolute URL on ``base_url`` (default:
    ``WAGTAILADMIN_BASE_URL``); absolute URLs (and mailto:/tel: links) unchanged."""
    base = base_url or str(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "")
    return urljoin(base.rstrip("/") + "/", url)


def postal_address() -> str:
    """The company's postal line every email's footer carries (anti-spam laws ask for it)."""
    return config().email_postal_address


def email_html(parts: EmailParts) -> str:
    """The email's HTML: table layout, every style inlined, no ``<style>`` or script left."""
    blocks = [
        {
            "key": b.key,
            "block_type": b.block_type,
            "variant": b.choice.variant if b.choice else GENERIC,
            "html": _block_html(b),
        }
        for b in parts.blocks
    ]
    html = render_to_string(
        "persx_campaigns/email/email.html",
        {"parts": parts, "blocks": blocks, "site_name": _site_name()},
    )
    return _INLINER.inline(html)


def email_text(parts: EmailParts) -> str:
    """The plain-text alternative, written by each block's own text template."""
    sections = [_block_text(b) for b in parts.blocks]
    text = render_to_string(
        "persx_campaigns/email/email.txt",
        {"parts": parts, "sections": [s for s in sections if s], "site_name": _site_name()},
    )
    return _tidy_text(text)


def _block_html(block: RenderedBlock) -> SafeString:
    if block.block_type == TEXT:
        return mark_safe(block.content)  # rich text, sanitised by Wagtail's editor
    return mark_safe(
        render_to_string(
            f"persx_campaigns/email/blocks/{block.block_type}.html", {"content": block.content}
        )
    )


def _block_text(block: RenderedBlock) -> str:
    if block.block_type == TEXT:
        return to_plain_text(block.content)
    return render_to_string(
        f"persx_campaigns/email/blocks/{block.block_type}.txt", {"content": block.content}
    ).strip()


def _tidy_text(text: str) -> str:
    """Trailing blanks dropped, never more than one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"


def _site_name() -> str:
    return str(getattr(settings, "WAGTAIL_SITE_NAME", "") or "PersX")


def _decided_content(
    block: PersonalizableBlock, value: Any, parent: dict[str, Any]
) -> tuple[Any, Decision]:
    """The content the block shows and its decision; generic (``error``) when it fails."""
    try:
        rendered = block.get_context(value, parent_context=parent)
        return rendered["content"], rendered["decision"]
    except Exception:
        logger.exception("email block %s failed to decide; serving generic", block.block_type)
        return value["base"], ERROR


def _block_link(link: LinkFunction, key: str, base_url: str) -> Callable[[str], str]:
    """The rewrite of one block's links: absolute, then through ``link``."""

    def rewrite(url: str) -> str:
        return link(absolute_url(url, base_url), key)

    return rewrite


def _linked_fields(
    block_type: str, content: dict[str, Any], rewrite: Callable[[str], str]
) -> dict[str, Any]:
    fields = dict(content)
    for name in LINK_FIELDS.get(block_type, ()):
        url = fields.get(name) or ""
        fields[name] = rewrite(url) if url else ""
    return fields


def _choice(key: str, block: PersonalizableBlock, decision: Decision) -> BlockChoice:
    return BlockChoice(
        block=key,
        block_type=block.block_type,
        variant=decision.variant_key,
        reason=str(decision.reason),
        experiment=decision.experiment or "",
        arm=decision.arm or "",
        personalized=decision.is_personalized,
    )
