"""An email template rendered per recipient (persx/campaigns/rendering.py): the variant and
the experiment arm the recipient's visitor gets on the web, email-safe HTML (every style
inlined, every link through the link function, absolute URLs, a preheader, a footer with
the unsubscribe link and the postal line) and a plain-text alternative from the same
blocks. Against the seeded demo and its "welcome" template."""

from __future__ import annotations

import logging
import random
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from persx.accounts.models import Account, ExperimentUnitPin
from persx.accounts.services import link_work_email
from persx.campaigns.models import EmailTemplate
from persx.campaigns.rendering import (
    Recipient,
    email_unit_id,
    recipient_for_contact,
    render_for_recipient,
)
from persx.catalog.repository import current_catalog
from persx.demo.demo_email import DEMO_EMAIL_SLUG
from persx.experiments.services import create_experiment
from persx.newsletter.models import Contact
from tests.web.conftest import SITE_DATA, client_with_profile

HALF_AND_HALF = [
    {"key": "control", "kind": "generic", "weight": 0.5},
    {"key": "personalized", "kind": "personalized", "weight": 0.5},
]


class EmailParser(HTMLParser):
    """Every tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def of(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]


def parsed(html: str) -> EmailParser:
    parser = EmailParser()
    parser.feed(html)
    return parser


def welcome() -> EmailTemplate:
    return EmailTemplate.objects.get(slug=DEMO_EMAIL_SLUG)


def recipient(
    industry: str = "", persona: str = "", visitor_id: str = "", domain: str = ""
) -> Recipient:
    return Recipient("pat@example.org", visitor_id, industry, persona, domain)


def audiences() -> list[tuple[str, str]]:
    catalog = current_catalog()
    return [(i.slug, "") for i in catalog.industries] + [
        (p.industry, p.slug) for p in catalog.personas
    ]


def visitor_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def web_decisions(client: Client, caplog: pytest.LogCaptureFixture) -> dict[str, dict[str, str]]:
    """Home's blocks as the site served them (the "personalization served" log line), by
    block type."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="persx"):
        assert client.get("/").status_code == 200
    (line,) = [r for r in caplog.records if r.getMessage() == "personalization served"]
    blocks: list[dict[str, str]] = line.blocks  # type: ignore[attr-defined]
    return {
        b["block"]: {
            "variant": b["variant"],
            "reason": b["reason"],
            "experiment": b.get("experiment") or "",
            "arm": b.get("arm") or "",
        }
        for b in blocks
    }


def email_decisions(email: Any) -> dict[str, dict[str, str]]:
    return {
        c.block_type: {
            "variant": c.variant,
            "reason": c.reason,
            "experiment": c.experiment,
            "arm": c.arm,
        }
        for c in email.choices
    }


@pytest.mark.django_db
def test_same_variant_and_arm_as_the_web_for_all_20_audiences_and_a_running_experiment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_experiment(
        key="hero-email",
        name="hero-email",
        arms=HALF_AND_HALF,
        status="running",
        scope_kind="block_type",
        scope_value="hero",
    )
    template = welcome()
    arms: set[str] = set()
    reasons: set[str] = set()
    audience_list = audiences()
    assert len(audience_list) == 20
    for (industry, persona), visitor_id in zip(audience_list, visitor_ids(20, 7), strict=True):
        web = web_decisions(
            client_with_profile(industry, persona or None, visitor_id=visitor_id), caplog
        )
        email = render_for_recipient(template, recipient(industry, persona, visitor_id))
        mailed = email_decisions(email)
        assert set(mailed) == {"hero", "feature_grid", "testimonial", "cta"}
        for block_type, decision in mailed.items():
            assert decision == web[block_type], (industry, persona, block_type)
        arms |= {d["arm"] for d in mailed.values() if d["arm"]}
        reasons |= {d["reason"] for d in mailed.values()}
    assert arms == {"control", "personalized"}
    assert {"experiment_control", "industry_match", "persona_match"} <= reasons


@pytest.mark.django_db
def test_an_account_level_experiment_gives_the_accounts_arm_and_respects_a_pinned_unit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_experiment(
        key="cta-accounts",
        name="cta-accounts",
        arms=HALF_AND_HALF,
        status="running",
        scope_kind="block_type",
        scope_value="cta",
        randomization_unit="account",
    )
    template = welcome()
    ids = visitor_ids(24, 3)
    arms_by_domain: dict[str, set[str]] = {}
    for n, visitor_id in enumerate(ids):
        domain = f"company{n % 6}.example"
        link_work_email(visitor_id, f"person{n}@{domain}")
        web = web_decisions(client_with_profile("saas", visitor_id=visitor_id), caplog)
        email = email_decisions(render_for_recipient(template, recipient("saas", "", visitor_id)))
        assert email["cta"] == web["cta"]
        arms_by_domain.setdefault(domain, set()).add(email["cta"]["arm"])
    # One arm per company, and both arms among the companies.
    assert all(len(arms) == 1 for arms in arms_by_domain.values())
    assert {next(iter(a)) for a in arms_by_domain.values()} == {"control", "personalized"}
    # A contact known only by its company hashes the company's domain.
    for domain, arms in arms_by_domain.items():
        alone = render_for_recipient(template, recipient("saas", "", "", domain))
        assert email_decisions(alone)["cta"]["arm"] == next(iter(arms))
    # A pinned unit wins over the account, on the web and in the email alike.
    visitor_id = ids[0]
    arm_now = email_decisions(render_for_recipient(template, recipient("saas", "", visitor_id)))
    other_unit = next(d for d, a in arms_by_domain.items() if a != {arm_now["cta"]["arm"]})
    ExperimentUnitPin.objects.create(
        visitor_id=visitor_id,
        experiment_key="cta-accounts",
        unit_id=other_unit,
        pinned_at=timezone.now(),
    )
    pinned = email_decisions(render_for_recipient(template, recipient("saas", "", visitor_id)))
    web = web_decisions(client_with_profile("saas", visitor_id=visitor_id), caplog)
    assert pinned["cta"]["arm"] == web["cta"]["arm"] == next(iter(arms_by_domain[other_unit]))
    assert Account.objects.filter(domain=other_unit).exists()


@pytest.mark.django_db
def test_a_contact_without_a_visitor_id_is_hashed_by_a_pseudonym_of_its_address() -> None:
    create_experiment(
        key="hero-email",
        name="hero-email",
        arms=HALF_AND_HALF,
        status="running",
        scope_kind="block_type",
        scope_value="hero",
    )
    template = welcome()
    arms = set()
    for n in range(30):
        person = Recipient(f"p{n}@example.org", "", "saas", "", "")
        first = email_decisions(render_for_recipient(template, person))["hero"]
        again = email_decisions(render_for_recipient(template, person))["hero"]
        assert first == again
        arms.add(first["arm"])
    assert arms == {"control", "personalized"}
    assert email_unit_id("P0@Example.org ") == email_unit_id("p0@example.org")
    assert "example" not in email_unit_id("p0@example.org")


@pytest.mark.django_db
def test_the_variant_written_for_the_audience_is_the_one_mailed() -> None:
    hero = next(b for b in SITE_DATA["home"]["body"] if b["type"] == "hero")
    written = {v["audience"]: v["content"]["headline"] for v in hero["variants"]}
    email = render_for_recipient(welcome(), recipient("healthcare"))
    assert written["industry:healthcare"] in email.html
    assert written["industry:healthcare"] in email.text
    assert hero["base"]["headline"] not in email.html
    generic = render_for_recipient(welcome(), recipient())
    assert hero["base"]["headline"] in generic.html
    assert {c.reason for c in generic.choices} == {"no_profile"}
    assert not any(c.personalized for c in generic.choices)


@pytest.mark.django_db
def test_bad_recipient_data_degrades_to_generic_and_says_why() -> None:
    template = welcome()
    unknown = render_for_recipient(template, recipient("no-such-industry", "nobody"))
    assert {(c.variant, c.reason) for c in unknown.choices} == {("generic", "no_profile")}
    persona = current_catalog().personas[0]
    other_industry = next(
        i.slug for i in current_catalog().industries if i.slug != persona.industry
    )
    mismatched = render_for_recipient(template, recipient(other_industry, persona.slug))
    assert all(not c.variant.startswith("persona:") for c in mismatched.choices)
    assert any(c.variant == f"industry:{other_industry}" for c in mismatched.choices)


@pytest.mark.django_db
def test_experiments_that_fail_to_load_serve_generic_with_reason_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from persx.personalization import context as personalization_context

    def broken() -> Any:
        raise RuntimeError("experiments table unreadable")

    monkeypatch.setattr(personalization_context, "running_experiments", broken)
    email = render_for_recipient(welcome(), recipient("saas"))
    assert {(c.variant, c.reason) for c in email.choices} == {("generic", "error")}
    assert "<h1" in email.html  # the email is still whole


@pytest.mark.django_db
def test_html_is_inlined_and_every_link_goes_through_the_link_function(settings: Any) -> None:
    settings.WAGTAILADMIN_BASE_URL = "https://www.persx.example"
    seen: list[tuple[str, str]] = []

    def tracked(url: str, block_key: str) -> str:
        seen.append((url, block_key))
        return f"https://t.persx.example/c/{len(seen)}"

    email = render_for_recipient(
        welcome(),
        recipient("saas", visitor_id="ab" * 16),
        link=tracked,
        unsubscribe_url="/newsletter/unsubscribe/tok123/",
    )
    html = parsed(email.html)
    assert "<style" not in email.html.lower()
    assert not html.of("script")
    hrefs = [a["href"] for a in html.of("a")]
    unsubscribe = "https://www.persx.example/newsletter/unsubscribe/tok123/"
    # Every link but the unsubscribe link is a tracked one, and each went through `tracked`.
    assert hrefs.count(unsubscribe) == 1
    tracked_hrefs = [h for h in hrefs if h != unsubscribe]
    assert len(tracked_hrefs) == len(seen) == 5  # header, hero, two in the text, CTA
    assert set(tracked_hrefs) == {f"https://t.persx.example/c/{n}" for n in range(1, len(seen) + 1)}
    # What `tracked` received: absolute site URLs, keyed by their block.
    assert all(url.startswith("https://www.persx.example/") for url, _ in seen)
    template = welcome()
    block_keys = {f"{template.pk}:{child.id}" for child in template.body}
    assert {key for _, key in seen} - {"header"} <= block_keys
    assert "https://www.persx.example/blog/" in {url for url, _ in seen}  # rich text link
    assert "https://www.persx.example/test-ideas/" in {url for url, _ in seen}
    # Styles are inline on the elements.
    assert all(h.get("style") for h in html.of("h1"))
    assert all(
        "background-color" in (td.get("style") or "")
        for td in html.of("td")
        if "button-cell" in (td.get("class") or "")
    )
    # Images: absolute and described.
    for img in html.of("img"):
        assert (img.get("src") or "").startswith("https://www.persx.example/")
        assert img.get("alt")
    # Preheader, footer.
    assert "One idea to test this month" in email.html
    assert "PersX GmbH" in email.html
    assert "PersX GmbH" in email.text
    assert unsubscribe in email.text
    assert email.subject == template.subject
    assert email.preheader == template.preheader


@pytest.mark.django_db
def test_plain_text_is_written_from_the_blocks() -> None:
    email = render_for_recipient(welcome(), recipient("saas"), unsubscribe_url="https://x/u/1")
    testimonial = next(b for b in SITE_DATA["home"]["body"] if b["type"] == "testimonial")
    quote = next(
        (v["content"] for v in testimonial["variants"] if v["audience"] == "industry:saas"),
        testimonial["base"],
    )["quote"]
    assert f'"{quote}"' in email.text
    assert "blog (http://" in email.text or "blog (https://" in email.text
    assert "<" not in email.text.replace("<http", "")
    assert "\n\n\n" not in email.text


@pytest.mark.django_db
def test_a_newsletter_contact_becomes_its_recipient() -> None:
    account = Account.objects.create(domain="acme-health.example")
    contact = Contact.objects.create(
        email="dana@acme-health.example",
        status=Contact.Status.SUBSCRIBED,
        visitor_id="cd" * 16,
        industry="healthcare",
        persona="",
        account=account,
        consent="granted",
    )
    assert recipient_for_contact(contact) == Recipient(
        "dana@acme-health.example", "cd" * 16, "healthcare", "", "acme-health.example", "granted"
    )
