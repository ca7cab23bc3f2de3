"""What the load test checks on every response (no locust import: the suite tests these).

Cross-talk: a page may show only the visitor's own variants (``industry:<their
industry>``, ``persona:<their persona>``) or ``generic`` (held out, control arm, a failure
served generic); anything else is another visitor's content. The page's
``data-profile`` attribute must name the visitor's own industry (``none`` without one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

VARIANT = re.compile(r'data-variant="([^"]*)"')
PROFILE = re.compile(r'<body[^>]*\sdata-profile="([^"]*)"')


def cross_talk(html: str, industry: str | None, persona: str | None = None) -> list[str]:
    """What in ``html`` belongs to someone else (empty: nothing)."""
    own = {"generic"}
    if industry:
        own.add(f"industry:{industry}")
    if persona:
        own.add(f"persona:{persona}")
    problems = [
        f"variant {v} served to {industry or 'no profile'}"
        for v in set(VARIANT.findall(html)) - own
    ]
    shown = PROFILE.search(html)
    if shown is None:
        problems.append("no data-profile on <body>")
    elif shown.group(1) != (industry or "none"):
        problems.append(f"data-profile={shown.group(1)} for a visitor of {industry or 'none'}")
    return problems


@dataclass
class RunTally:
    """One locust process's counts, written as JSON when the run stops."""

    pages_checked: int = 0
    cross_talk: int = 0
    cross_talk_examples: list[str] = field(default_factory=list)
    batches_acknowledged: int = 0
    batches_refused: int = 0
    acknowledged_ids: list[str] = field(default_factory=list)

    def note_cross_talk(self, problems: list[str]) -> None:
        self.cross_talk += 1
        if len(self.cross_talk_examples) < 20:
            self.cross_talk_examples.extend(problems)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))

    @classmethod
    def read_all(cls, paths: Iterable[Path]) -> RunTally:
        total = cls()
        for path in paths:
            part = json.loads(path.read_text())
            total.pages_checked += part["pages_checked"]
            total.cross_talk += part["cross_talk"]
            total.cross_talk_examples += part["cross_talk_examples"]
            total.batches_acknowledged += part["batches_acknowledged"]
            total.batches_refused += part["batches_refused"]
            total.acknowledged_ids += part["acknowledged_ids"]
        return total


def missing_events(acknowledged: Iterable[str], stored: Iterable[str]) -> list[str]:
    """Acknowledged event ids that are not in the database."""
    have = {s.lower() for s in stored}
    return sorted({a.lower() for a in acknowledged} - have)
