"""The demo's pre-made AI drafts (``data/ai_drafts.json``), so a newcomer sees the review
flow without an API key. Marked as AI drafts from a demo model; claim-checked like real
ones (one carries a figure its fact sheet does not support). Idempotent: a draft that was
already seeded for that page, block type and audience (pending, approved or rejected)
is never re-created, even after a re-seed refreshed the page."""

from __future__ import annotations

import json
from pathlib import Path

from wagtail.models import Page

from persx.engine.drafting.claims import check_claims
from persx.engine.drafting.port import PROMPT_VERSION
from persx.studio.fact_sheets import fact_sheet_for
from persx.studio.models import Draft, Origin
from persx.studio.services import ALLOWED_NAMES

DRAFTS_FILE = Path(__file__).resolve().parent / "data" / "ai_drafts.json"


def seed_ai_drafts(drafts_file: Path = DRAFTS_FILE) -> list[str]:
    data = json.loads(drafts_file.read_text(encoding="utf-8"))
    created = []
    for item in data["drafts"]:
        page = Page.objects.filter(slug=item["page"]).first()
        if page is None:
            continue
        specific = page.specific
        block_id = next(
            (
                str(b["id"])
                for name in getattr(specific, "streamfield_names", ())
                for b in getattr(specific, name).raw_data
                if b["type"] == item["block_type"]
            ),
            None,
        )
        if block_id is None:
            continue
        if Draft.objects.filter(
            page=page,
            block_type=item["block_type"],
            audience=item["audience"],
            model_name=data["model"],
        ).exists():
            continue
        facts = fact_sheet_for(item["audience"])
        flags = check_claims(item["content"], facts, ALLOWED_NAMES)
        Draft.objects.create(
            page=page,
            block_id=block_id,
            block_type=item["block_type"],
            audience=item["audience"],
            content=item["content"],
            origin=Origin.AI,
            model_name=data["model"],
            prompt_version=PROMPT_VERSION,
            fact_sheet_version=str(facts.version),
            flags=[f.as_dict() for f in flags],
        )
        created.append(f"AI draft {item['page']}/{item['block_type']} for {item['audience']}")
    return created
