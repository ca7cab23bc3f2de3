"""The studio's writes: drafting a variant, and reviewing drafts into live variants.

A draft is stored as a :class:`~persx.studio.models.Draft` row, never in a page, so it
cannot be served. Approving one (as written, or edited) writes it into the page's
StreamField as a new published revision and records its provenance and review
(:class:`~persx.studio.models.VariantReview`). Approval re-checks the content against the
audience's fact sheet as it is now (not the flags from when it was drafted): open claim
flags need an override note, recorded with the review. Fact sheets are versioned here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from persx.content.models import PersonalizedPage
from persx.content.plain_shape import plain
from persx.content.schemas import SCHEMAS
from persx.engine.drafting.claims import ClaimFlag, check_claims, sentences_of
from persx.engine.drafting.port import (
    ClaimVerifier,
    DraftOutcome,
    DraftProvider,
    DraftRequest,
    OutcomeStatus,
    draft_with_retry,
)
from persx.engine.drafting.port import (
    FactSheet as DraftingFacts,
)
from persx.engine.drafting.verification import verify_draft
from persx.engine.visitor.audience import challenger_key
from persx.experiments.models import Experiment
from persx.experiments.services import create_experiment, start_experiment
from persx.generation.validation import draft_errors
from persx.studio.fact_sheets import fact_sheet_for
from persx.studio.models import (
    AiHumanExperiment,
    Draft,
    FactSheet,
    Origin,
    RetiredVariant,
    VariantReview,
)
from persx.studio.winners import industry_of, winning_examples

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
    examples: Sequence[Mapping[str, Any]] | None = None,
) -> Draft | DraftOutcome:
    """Ask the provider for a variant; a valid one is stored as a pending draft with its
    claim flags. A failure (invalid twice, rate limit, timeout) is returned, not stored.

    The flags are the claim checker's (each sentence held to the proof point the model
    cited for it) and, when the provider is also a :class:`ClaimVerifier`, the second
    pass's: a sentence the model, asked afresh, does not find supported is flagged too.

    ``examples`` default to the winners the reports found for this block type and the
    audience's industry (:func:`persx.studio.winners.winning_examples`)."""
    request = draft_request(page, block_id, audience, audience_label, examples)
    block_type = request.block_type
    facts = request.facts
    outcome = draft_with_retry(provider, request, lambda c: draft_errors(block_type, c))
    if outcome.status is not OutcomeStatus.OK or outcome.content is None:
        return outcome
    flags = check_claims(outcome.content, facts, ALLOWED_NAMES, citations=outcome.citations)
    tokens_in, tokens_out = outcome.input_tokens, outcome.output_tokens
    if isinstance(provider, ClaimVerifier):
        verification = verify_draft(provider, facts, outcome.content)
        flags += verification.flags
        tokens_in += verification.input_tokens
        tokens_out += verification.output_tokens
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
        input_tokens=tokens_in,
        output_tokens=tokens_out,
    )


def draft_request(
    page: PersonalizedPage,
    block_id: str,
    audience: str,
    audience_label: str = "",
    examples: Sequence[Mapping[str, Any]] | None = None,
) -> DraftRequest:
    """What the model is asked for one cell (also what a batch's estimate measures)."""
    _, item = _block(page, block_id)
    block_type = item["type"]
    if examples is None:
        examples = winning_examples(block_type, audience)
    return DraftRequest(
        block_type=block_type,
        audience=audience,
        audience_label=audience_label or audience,
        schema=SCHEMAS[block_type].model_json_schema(),
        facts=fact_sheet_for(audience),
        base=plain(item["value"].get("base") or {}),
        examples=tuple(examples),
    )


@transaction.atomic
def approve_draft(
    draft: Draft,
    reviewer: User,
    edited: Mapping[str, Any] | None = None,
    override_note: str = "",
    as_challenger: bool = False,
) -> VariantReview:
    """Publish the draft (or the reviewer's edit of it) as the audience's live variant, or,
    ``as_challenger``, beside the audience's live variant as its AI challenger (served only
    by an AI vs human experiment, see :func:`start_ai_vs_human`)."""
    if draft.status != Draft.Status.PENDING:
        raise ReviewRefused(f"status: the draft is already {draft.get_status_display().lower()}")
    content = dict(edited) if edited is not None else dict(draft.content)
    errors = draft_errors(draft.block_type, content)
    if errors:
        field, message = next(iter(errors.items()))
        raise ReviewRefused(f"{field}: {message}")
    facts = fact_sheet_for(draft.audience)
    flags = open_flags(draft, content, facts)
    if flags and not override_note.strip():
        claims = "; ".join(f"{f['kind']} “{f['claim']}”" for f in flags[:5] if f["claim"])
        raise ReviewRefused(
            f"override_note: {len(flags)} claim flag(s) are open against fact sheet "
            f"version {facts.version}{f' ({claims})' if claims else ''}; approve with a "
            "note saying why they are acceptable, or edit the draft"
        )
    page = draft.page.specific
    if not isinstance(page, PersonalizedPage):
        raise ReviewRefused("page: not a personalizable page")
    if page.has_unpublished_changes:
        raise ReviewRefused("page: has unpublished changes; publish or discard them first")
    key = draft.audience
    if as_challenger:
        if _variant(page, draft.block_id, draft.audience) is None:
            raise ReviewRefused(
                f"as_challenger: the block has no live variant for {draft.audience} to challenge"
            )
        key = challenger_key(draft.audience)
    _replace_variant(page, draft.block_id, key, content, reviewer)
    now = timezone.now()
    origin = Origin.AI_EDITED if edited is not None and content != draft.content else Origin.AI
    review, _ = VariantReview.objects.update_or_create(
        page=draft.page,
        block_id=draft.block_id,
        audience=key,
        defaults={
            "origin": origin,
            "model_name": draft.model_name,
            "prompt_version": draft.prompt_version,
            "fact_sheet_version": str(facts.version),  # the sheet it was approved against
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


def open_flags(
    draft: Draft, content: Mapping[str, Any], facts: DraftingFacts
) -> list[dict[str, str]]:
    """The claim flags ``content`` has against ``facts`` (the current sheet): the checker
    run afresh, plus the verification pass's doubts about sentences still in the content
    (that pass is not re-run at approval; its doubts stand until the sentence changes)."""
    flags = [f.as_dict() for f in check_claims(content, facts, ALLOWED_NAMES)]
    sentences = {sentence for _, sentence in sentences_of(content)}
    for stored in draft.flags:
        doubt = ClaimFlag(**stored)
        if doubt.kind == "unverified" and (doubt.claim in sentences or not doubt.claim):
            flags.append(doubt.as_dict())
    return flags


def _variant(page: PersonalizedPage, block_id: str, audience: str) -> dict[str, Any] | None:
    _, item = _block(page, block_id)
    for variant in item["value"].get("variants") or []:
        value = variant.get("value", variant) or {}
        if value.get("audience") == audience:
            return dict(value)
    return None


def _replace_variant(
    page: PersonalizedPage,
    block_id: str,
    audience: str,
    content: Mapping[str, Any] | None,
    user: User,
) -> int:
    """Publish a revision of ``page`` whose block has ``content`` as ``audience``'s variant
    (None: without a variant for ``audience``); returns the revision's id."""
    if page.has_unpublished_changes:
        raise ReviewRefused("page: has unpublished changes; publish or discard them first")
    name, _ = _block(page, block_id)
    raw = getattr(page, name).raw_data
    for block in raw:
        if str(block.get("id")) == block_id:
            variants = [
                v
                for v in block["value"].get("variants") or []
                if (v.get("value", v) or {}).get("audience") != audience
            ]
            if content is not None:
                variants.append(
                    {
                        "audience": audience,
                        "content": dict(content),
                        "live_from": None,
                        "live_until": None,
                    }
                )
            block["value"]["variants"] = variants
    setattr(page, name, raw)
    revision = page.save_revision(user=user)
    revision.publish(user=user)
    return int(revision.pk)


@transaction.atomic
def retire_variant(
    page: PersonalizedPage,
    block_id: str,
    audience: str,
    user: User,
    reason: str,
    experiment: str = "",
) -> RetiredVariant:
    """Take a variant off its page (a new published revision) and keep what it was."""
    if not reason.strip():
        raise ReviewRefused("reason: say why the variant is retired")
    variant = _variant(page, block_id, audience)
    if variant is None:
        raise ReviewRefused(f"audience: the block has no variant for {audience}")
    _, item = _block(page, block_id)
    revision_id = _replace_variant(page, block_id, audience, None, user)
    review = VariantReview.objects.filter(page=page, block_id=block_id, audience=audience).first()
    retired = RetiredVariant.objects.create(
        page=page,
        block_id=block_id,
        block_type=item["type"],
        audience=audience,
        content=variant.get("content") or {},
        origin=review.origin if review else Origin.HUMAN,
        model_name=review.model_name if review else "",
        prompt_version=review.prompt_version if review else "",
        fact_sheet_version=review.fact_sheet_version if review else "",
        reviewed_by=review.reviewer if review else None,
        reviewed_at=review.reviewed_at if review else page.last_published_at,
        reason=reason.strip(),
        experiment=experiment,
        revision_id=revision_id,
        retired_by=user,
        retired_at=timezone.now(),
    )
    if review is not None:
        review.delete()
    return retired


def ai_vs_human_problem(page: PersonalizedPage, block_id: str, audience: str) -> str | None:
    """Why the cell cannot start an AI vs human experiment now (None: it can)."""
    if _variant(page, block_id, audience) is None:
        return f"audience: the block has no variant for {audience}"
    if _variant(page, block_id, challenger_key(audience)) is None:
        return (
            f"audience: no approved AI variant challenges {audience} here "
            "(approve a draft as its challenger)"
        )
    human = VariantReview.objects.filter(page=page, block_id=block_id, audience=audience).first()
    if human is not None and human.origin != Origin.HUMAN:
        return f"audience: the live variant for {audience} is itself an AI draft"
    running = AiHumanExperiment.objects.filter(
        page=page, block_id=block_id, audience=audience
    ).values_list("experiment_key", flat=True)
    if Experiment.objects.filter(key__in=list(running), status=Experiment.Status.RUNNING).exists():
        return f"audience: an AI vs human experiment for {audience} is already running"
    return None


def _experiment_key(page: PersonalizedPage, block_id: str, audience: str) -> str:
    base = slugify(f"ai-vs-human-{page.pk}-{block_id[:8]}-{audience.replace(':', '-')}")[:72]
    key, n = base, 1
    while Experiment.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


@transaction.atomic
def start_ai_vs_human(
    page: PersonalizedPage, block_id: str, audience: str, user: User
) -> AiHumanExperiment:
    """Start an experiment on the page: arm ``human`` serves what visitors get today (the
    audience's human variant), arm ``ai`` its approved AI challenger, half and half, among
    the audience's industry; the report compares ai with human (human is the control)."""
    problem = ai_vs_human_problem(page, block_id, audience)
    if problem:
        raise ReviewRefused(problem)
    industry = industry_of(audience)
    _, item = _block(page, block_id)
    key = _experiment_key(page, block_id, audience)
    create_experiment(
        key=key,
        name=f"AI vs human: {item['type']} for {audience} on {page.title}"[:160],
        hypothesis=(
            f"The approved AI variant of the {item['type']} block for {audience} converts at "
            "least as well as the human-written one it challenges."
        ),
        status=Experiment.Status.DRAFT,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value=str(page.pk),
        arms=[
            {"key": "human", "kind": "personalized", "weight": 0.5},
            {
                "key": "ai",
                "kind": "variant",
                "weight": 0.5,
                "variant_key": challenger_key(audience),
            },
        ],
        target_industries=[industry] if industry else [],
        primary_metric="form_submission",
    )
    start_experiment(key)
    return AiHumanExperiment.objects.create(
        page=page,
        block_id=block_id,
        audience=audience,
        experiment_key=key,
        started_by=user,
        started_at=timezone.now(),
    )


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
