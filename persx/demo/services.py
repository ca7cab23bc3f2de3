"""Loading the demo site (catalog, pages, posts, test ideas, admin login). Idempotent.

Existing pages are never overwritten, so editors' changes survive a second run and a
second run changes nothing.
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

SITE_FILE = Path(__file__).resolve().parent / "data" / "site.json"
DEMO_ADMIN = ("admin", "persx-demo")


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.created.append(what)


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
                    "value": {"base": block["base"], "variants": block.get("variants", [])},
                }
            )
    return json.dumps(raw)


def _child(parent: Page, model: type[Page], slug: str, report: SeedReport, **fields: Any) -> Page:
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    report.add(f"page /{slug}/")
    return page


def _home(site_data: dict[str, Any], report: SeedReport) -> HomePage:
    home = HomePage.objects.first()
    if home is not None:
        return home
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
    for post in data["blog"]["posts"]:
        if blog.get_children().filter(slug=post["slug"]).exists():
            continue
        page = BlogPostPage(
            slug=post["slug"],
            title=post["title"],
            date=date.fromisoformat(post["date"]),
            author=post.get("author", ""),
            intro=post["intro"],
            body=post["body_html"],
            cta=stream_data([post["cta"]]) if post.get("cta") else "[]",
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
    return report
