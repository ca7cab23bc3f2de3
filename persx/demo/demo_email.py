"""The demo's email template: the home page's personalizable blocks as a newsletter.

Seeded once (a template with the slug exists: nothing changes, so an editor's changes
stay). Its blocks come from the demo content file, so the email carries the same
per-industry and per-persona variants as the home page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from persx.campaigns.models import EmailTemplate

SITE_FILE = Path(__file__).resolve().parent / "data" / "site.json"
DEMO_EMAIL_SLUG = "welcome"
EMAIL_BLOCK_TYPES = ("hero", "feature_grid", "testimonial", "cta")
INTRO_HTML = (
    "<p>Thanks for subscribing. Each month we send one idea worth testing on your own "
    'site, and the results behind it. Browse the <a href="/test-ideas/">test ideas</a> '
    'or read the <a href="/blog/">blog</a> while you wait.</p>'
)


def seed_demo_email(site_file: Path = SITE_FILE) -> str | None:
    """Create the demo email template unless it exists; what was created, or None."""
    if EmailTemplate.objects.filter(slug=DEMO_EMAIL_SLUG).exists():
        return None
    home = json.loads(site_file.read_text(encoding="utf-8"))["home"]["body"]
    blocks = {block["type"]: block for block in home if block["type"] in EMAIL_BLOCK_TYPES}
    body: list[dict[str, Any]] = [_personalizable(blocks["hero"])]
    body.append({"type": "text", "value": INTRO_HTML})
    body += [_personalizable(blocks[kind]) for kind in EMAIL_BLOCK_TYPES[1:]]
    template = EmailTemplate(
        name="Welcome to PersX",
        slug=DEMO_EMAIL_SLUG,
        subject="Your first personalization test, picked for you",
        preheader="One idea to test this month, written for your industry.",
        body=json.dumps(body),
    )
    template.full_clean()
    template.save()
    return f"email template {DEMO_EMAIL_SLUG}"


def _personalizable(block: dict[str, Any]) -> dict[str, Any]:
    variants = [{"live_from": None, "live_until": None, **v} for v in block.get("variants", [])]
    return {"type": block["type"], "value": {"base": block["base"], "variants": variants}}
