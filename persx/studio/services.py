"""The studio's writes: drafting a variant, and reviewing drafts into live variants.

A draft is stored as a :class:`~persx.studio.models.Draft` row, never in a page, so it
cannot be served. Approving one (as written, or edited) writes it into the page's
StreamField as a new published revision and records its provenance and review
(:class:`~persx.studio.models.VariantReview`); a draft whose claim flags are still open
needs an override note. Fact sheets are versioned here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from persx.content.models import PersonalizedPage
from persx.content.schemas import SCHEMAS
from persx.engine.claims import check_claims
from persx.engine.drafting import (
    DraftOutcome,
    DraftProvider,
    DraftRequest,
    OutcomeStatus,
    draft_with_retry,
)
from persx.generation.validation import draft_errors
from persx.studio.fact_sheets import fact_sheet_for
from persx.studio.models import Draft, FactSheet, Origin, VariantReview

# Words a draft may capitalise without being a claim (the product, common CTA verbs).
ALLOWED_NAMES = ("PersX", "Book", "See", "Get", "Talk", "Start", "Plan", "Request", "Try")


class ReviewRefused(Exception):
    """A review step that cannot be done as asked; the message starts with the field."""


def _block(page: PersonalizedPage, block_id: str) -> tuple[str, dict[str, Any]]:
    for name in page.streamfield_names:
        for item in getattr(page, name).raw_data:
            if str(item.get("id")) == block_id:
                return name, item
    raise ReviewRefused(f"block: the page has no block '{block_id}'")


def request_draft(
    page: PersonalizedPage,
    block_id: str,
    audience: str,
    provider: DraftProvider,
    audience_label: str = "",
) -> Draft | DraftOutcome:
    """Ask the provider for a variant; a valid one is stored as a pending draft with its
    claim flags. A failure (invalid twice, rate limit, timeout) is returned, not stored."""
    _, item = _block(page, block_id)
    block_type = item["type"]
    facts = fact_sheet_for(audience)
    request = DraftRequest(
        block_type=block_type,
        audience=audience,
        audience_label=audience_label or audience,
        schema=SCHEMAS[block_type].model_json_schema(),
        facts=facts,
        base=item["value"].get("base") or {},
    )
    outcome = draft_with_retry(provider, request, lambda c: draft_errors(block_type, c))
    if outcome.status is not OutcomeStatus.OK or outcome.content is None:
        return outcome
    flags = check_claims(outcome.content, facts, ALLOWED_NAMES)
    return Draft.objects.create(
        page=page,
        block_id=block_id,
        block_type=block_type,
        audience=audience,
        content=dict(outcome.content),
        origin=Origin.AI,
        model_name=outcome.model,
        prompt_version=request.prompt_version,
        fact_sheet_version=str(facts.version),
        flags=[f.as_dict() for f in flags],
    )


@transaction.atomic
def approve_draft(
    draft: Draft,
    reviewer: User,
    edited: Mapping[str, Any] | None = None,
    override_note: str = "",
) -> VariantReview:
    """Publish the draft (or the reviewer's edit of it) as the audience's live variant."""
    if draft.status != Draft.Status.PENDING:
        raise ReviewRefused(f"status: the draft is already {draft.get_status_display().lower()}")
    content = dict(edited) if edited is not None else dict(draft.content)
    errors = draft_errors(draft.block_type, content)
    if errors:
        field, message = next(iter(errors.items()))
        raise ReviewRefused(f"{field}: {message}")
    if edited is not None:
        facts = fact_sheet_for(draft.audience)
        flags = [f.as_dict() for f in check_claims(content, facts, ALLOWED_NAMES)]
    else:
        flags = list(draft.flags)
    if flags and not override_note.strip():
        raise ReviewRefused(
            f"override_note: {len(flags)} claim flag(s) are open; approve with a note "
            "saying why they are acceptable, or edit the draft"
        )
    page = draft.page.specific
    if not isinstance(page, PersonalizedPage):
        raise ReviewRefused("page: not a personalizable page")
    if page.has_unpublished_changes:
        raise ReviewRefused("page: has unpublished changes; publish or discard them first")
    name, _ = _block(page, draft.block_id)
    stream = getattr(page, name)
    raw = stream.raw_data
    for block in raw:
        if str(block.get("id")) == draft.block_id:
            variants = [
                v
                for v in block["value"].get("variants") or []
                if (v.get("value", v) or {}).get("audience") != draft.audience
            ]
            variants.append(
                {
                    "audience": draft.audience,
                    "content": content,
                    "live_from": None,
                    "live_until": None,
                }
            )
            block["value"]["variants"] = variants
    setattr(page, name, raw)
    page.save_revision(user=reviewer).publish(user=reviewer)
    now = timezone.now()
    origin = Origin.AI_EDITED if edited is not None and content != draft.content else Origin.AI
    review, _ = VariantReview.objects.update_or_create(
        page=draft.page,
        block_id=draft.block_id,
        audience=draft.audience,
        defaults={
            "origin": origin,
            "model_name": draft.model_name,
            "prompt_version": draft.prompt_version,
            "fact_sheet_version": draft.fact_sheet_version,
            "reviewer": reviewer,
            "reviewed_at": now,
        },
    )
    draft.status = Draft.Status.APPROVED
    draft.content = content
    draft.flags = flags
    draft.reviewer = reviewer
    draft.reviewed_at = now
    draft.review_note = override_note.strip()
    draft.save()
    return review


def reject_draft(draft: Draft, reviewer: User, reason: str) -> Draft:
    if draft.status != Draft.Status.PENDING:
        raise ReviewRefused(f"status: the draft is already {draft.get_status_display().lower()}")
    if not reason.strip():
        raise ReviewRefused("reason: say why the draft is rejected (it helps the next prompt)")
    draft.status = Draft.Status.REJECTED
    draft.reviewer = reviewer
    draft.reviewed_at = timezone.now()
    draft.review_note = reason.strip()
    draft.save()
    return draft


def save_fact_sheet(audience: str, **fields: str) -> FactSheet:
    """Create or change an audience's fact sheet; every change is a new version."""
    sheet = FactSheet.objects.filter(audience=audience).first()
    if sheet is None:
        return FactSheet.objects.create(audience=audience, version=1, **fields)
    changed = {k: v for k, v in fields.items() if getattr(sheet, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(sheet, key, value)
        sheet.version += 1
        sheet.save()
    return sheet
