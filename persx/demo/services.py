"""The demo site, seeded: ``seed_demo`` loads the catalog, pages, posts, test ideas, AI
drafts and the admin login. Idempotent.

A demo page that only the seed has ever written (every revision without a user) is brought
up to date with the data file, so a newer demo file reaches an existing site; a page an
editor has saved is never overwritten. A second run with the same file changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from wagtail.models import Page, Site

from persx.catalog.models import Goal, Industry
from persx.catalog.services import import_catalog_file
from persx.content.models import (
    BlogIndexPage,
    BlogPostPage,
    HomePage,
    PersonasPage,
    StandardPage,
    TestIdea,
    TestIdeasPage,
)
from persx.demo.ai_drafts import seed_ai_drafts
from persx.demo.demo_email import seed_demo_email

SITE_FILE = Path(__file__).resolve().parent / "data" / "site.json"
DEMO_ADMIN = ("admin", "persx-demo")


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.created.append(what)


# A variant's schedule as Wagtail stores it when none is set (so a refresh compares alike).
UNSCHEDULED = {"live_from": None, "live_until": None}


def stream_data(blocks: list[dict[str, Any]]) -> str:
    """Demo-file blocks → StreamField raw JSON."""
    raw = []
    for block in blocks:
        if block["type"] == "text":
            raw.append({"type": "text", "value": block["html"]})
        else:
            raw.append(
                {
                    "type": block["type"],
                    "value": {
                        "base": block["base"],
                        "variants": [
                            {**UNSCHEDULED, **variant} for variant in block.get("variants", [])
                        ],
                    },
                }
            )
    return json.dumps(raw)


def _comparable(value: Any) -> Any:
    """StreamField JSON without what Wagtail adds on save (block ids, list item wrappers)."""
    if (
        isinstance(value, dict)
        and value.get("type") == "item"
        and set(value) <= {"type", "value", "id"}
    ):
        return _comparable(value["value"])
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _field_value(page: Page, name: str) -> Any:
    value = getattr(page, name)
    raw = getattr(value, "raw_data", None)
    return _comparable(list(raw)) if raw is not None else value


def _wanted_value(value: Any) -> Any:
    return _comparable(json.loads(value)) if isinstance(value, str) and value[:1] == "[" else value


def _refresh(page: Page, report: SeedReport, **fields: Any) -> Page:
    """Bring a seed-only page up to date with the data file (editors' pages are left alone)."""
    page = page.specific
    if page.revisions.exclude(user=None).exists() or page.has_unpublished_changes:
        return page
    changed = {
        name: value
        for name, value in fields.items()
        if _field_value(page, name) != _wanted_value(value)
    }
    if not changed:
        return page
    for name, value in changed.items():
        setattr(page, name, value)
    page.save_revision().publish()
    report.updated.append(f"page {page.url_path.removeprefix('/home')} ({', '.join(changed)})")
    return page


def _child(parent: Page, model: type[Page], slug: str, report: SeedReport, **fields: Any) -> Page:
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return _refresh(existing, report, **fields)
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    report.add(f"page /{slug}/")
    return page


def _home(site_data: dict[str, Any], report: SeedReport) -> HomePage:
    home = HomePage.objects.first()
    if home is not None:
        return _refresh(
            home,
            report,
            title=site_data["home"]["title"],
            body=stream_data(site_data["home"]["body"]),
        )
    root = Page.get_first_root_node()
    site = Site.objects.filter(is_default_site=True).first()
    placeholder = site.root_page if site else None
    if placeholder is not None and placeholder.get_children_count() == 0:
        # Wagtail's "Welcome" page: replace it with the demo home page.
        placeholder.delete()
        root.refresh_from_db()
    home = HomePage(
        title=site_data["home"]["title"], slug="home", body=stream_data(site_data["home"]["body"])
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="PersX"
        )
    else:
        site.root_page = home
        site.site_name = "PersX"
        site.save()
    report.add("home page")
    return home


def _test_ideas(ideas: list[dict[str, Any]], report: SeedReport) -> None:
    industries = {i.slug: i for i in Industry.objects.all()}
    goals = {g.slug: g for g in Goal.objects.all()}
    for order, item in enumerate(ideas):
        if TestIdea.objects.filter(slug=item["slug"]).exists():
            continue
        idea = TestIdea(
            slug=item["slug"],
            title=item["title"],
            summary=item["summary"],
            hypothesis=item.get("hypothesis", ""),
            impact=item.get("impact", "medium"),
            effort=item.get("effort", "medium"),
            metric=item.get("metric", ""),
            sort_order=order,
        )
        idea.save()
        idea.industries.set([industries[s] for s in item.get("industries", [])])
        idea.goals.set([goals[s] for s in item.get("goals", [])])
        idea.save()
        report.add(f"test idea {item['slug']}")


def _admin(report: SeedReport) -> None:
    user_model = get_user_model()
    username, password = DEMO_ADMIN
    if not user_model.objects.filter(username=username).exists():
        user_model.objects.create_superuser(username, "admin@example.com", password)
        report.add("demo admin login")


@transaction.atomic
def seed_demo(site_file: Path = SITE_FILE) -> SeedReport:
    report = SeedReport()
    result = import_catalog_file()
    if result.created:
        report.add(f"catalog {result.version} ({result.created} rows)")
    data = json.loads(site_file.read_text(encoding="utf-8"))
    home = _home(data, report)
    for slug, key in (("about", "about"), ("contact", "contact")):
        _child(
            home,
            StandardPage,
            slug,
            report,
            title=data[key]["title"],
            body=stream_data(data[key]["body"]),
        )
    blog = _child(
        home,
        BlogIndexPage,
        "blog",
        report,
        title=data["blog"]["title"],
        intro=data["blog"]["intro"],
    )
    industries = {i.slug: i for i in Industry.objects.all()}
    goals = {g.slug: g for g in Goal.objects.all()}
    # After each post: its call to action, then the blog's newsletter signup.
    signup = data["blog"].get("signup")
    for post in data["blog"]["posts"]:
        after_post = stream_data([block for block in (post.get("cta"), signup) if block])
        existing = blog.get_children().filter(slug=post["slug"]).first()
        if existing is not None:
            _refresh(existing, report, cta=after_post)
            continue
        page = BlogPostPage(
            slug=post["slug"],
            title=post["title"],
            date=date.fromisoformat(post["date"]),
            author=post.get("author", ""),
            intro=post["intro"],
            body=post["body_html"],
            cta=after_post,
        )
        page.industries = [industries[s] for s in post.get("industries", [])]
        page.goals = [goals[s] for s in post.get("goals", [])]
        blog.add_child(instance=page)
        page.save_revision().publish()
        report.add(f"post /blog/{post['slug']}/")
    ideas = data["test_ideas"]
    _child(home, TestIdeasPage, "test-ideas", report, title=ideas["title"], intro=ideas["intro"])
    _test_ideas(ideas["ideas"], report)
    _child(
        home,
        PersonasPage,
        "personas",
        report,
        title=data["personas"]["title"],
        intro=data["personas"]["intro"],
    )
    _admin(report)
    for created in seed_ai_drafts():
        report.add(created)
    email = seed_demo_email()
    if email:
        report.add(email)
    return report
