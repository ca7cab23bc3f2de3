"""Blog posts and test ideas with their industry/goal tags, cached in-process.

Feeds the "Related for [Industry]" block, the Blog index and the Test Ideas library,
ordered "recommended for you" by the engine. Rebuilt on publish (signals) or after the
cache TTL; a page view reads it without SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.apps import apps

from persx.caching.snapshot import Snapshot
from persx.catalog.repository import current_catalog
from persx.engine.deciding.recommendation import RankedItem, TaggedItem, rank_for_profile
from persx.engine.visitor.profile import VisitorProfile

Kind = Literal["post", "idea"]


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    key: str
    title: str
    url: str
    summary: str
    industries: tuple[str, ...]
    goals: tuple[str, ...]
    date: str = ""
    impact: str = ""
    effort: str = ""
    metric: str = ""
    hypothesis: str = ""


@dataclass(frozen=True, slots=True)
class RankedEntry:
    entry: Entry
    rank: RankedItem


def _build() -> tuple[Entry, ...]:
    # Through the app registry: the page models import the blocks, which rank with this.
    BlogPostPage = apps.get_model("persx_content", "BlogPostPage")
    TestIdea = apps.get_model("persx_content", "TestIdea")
    posts = [
        Entry(
            kind="post",
            key=f"post:{p.pk}",
            title=p.title,
            url=p.url or "",
            summary=p.intro,
            industries=tuple(i.slug for i in p.industries.all()),
            goals=tuple(g.slug for g in p.goals.all()),
            date=p.date.isoformat(),
        )
        for p in BlogPostPage.objects.live()
        .public()
        .order_by("-date")
        .prefetch_related("industries", "goals")
    ]
    ideas = [
        Entry(
            kind="idea",
            key=f"idea:{i.slug}",
            title=i.title,
            url=f"/test-ideas/#{i.slug}",
            summary=i.summary,
            industries=tuple(x.slug for x in i.industries.all()),
            goals=tuple(g.slug for g in i.goals.all()),
            impact=i.impact,
            effort=i.effort,
            metric=i.metric,
            hypothesis=i.hypothesis,
        )
        for i in TestIdea.objects.prefetch_related("industries", "goals")
    ]
    return tuple(posts + ideas)


_entries: Snapshot[tuple[Entry, ...]] = Snapshot("tagged-index", _build)


def invalidate_tagged_index() -> None:
    _entries.invalidate()


def entry(key: str) -> Entry | None:
    """One entry by key (``post:<page id>`` or ``idea:<slug>``), from the snapshot."""
    for candidate in _entries.get():
        if candidate.key == key:
            return candidate
    return None


def ranked_entries(
    profile: VisitorProfile | None, kind: Kind | None = None, limit: int | None = None
) -> list[RankedEntry]:
    """Entries of ``kind``, best match for ``profile`` first (editorial order without one).

    Pass the page's ``personalization_of(request).ranking_profile()``: none for visitors
    who are held out or when personalization is switched off.
    """
    entries = [e for e in _entries.get() if kind is None or e.kind == kind]
    by_key = {e.key: e for e in entries}
    ranked = rank_for_profile(
        (TaggedItem(e.key, e.industries, e.goals) for e in entries), profile, current_catalog()
    )
    result = [RankedEntry(by_key[r.key], r) for r in ranked]
    return result[:limit] if limit is not None else result
