"""docs/studio.md says what the studio shows: the coverage legend's symbols and words are
the document's, and its ``persx_coverage`` example passes on the demo as written."""

from __future__ import annotations

import io
import re
import shlex
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from persx.studio.cell_state import CellState
from tests.docs.markdown_commands import read

pytestmark = pytest.mark.django_db

STUDIO_DOC = Path(settings.BASE_DIR) / "docs" / "studio.md"


def documented_legend() -> list[tuple[str, str]]:
    """(symbol, state) of each row of the matrix's legend table in docs/studio.md."""
    text = STUDIO_DOC.read_text()
    table = text.split("| symbol | state | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in table.strip().splitlines()[1:]]
    return [(symbol.strip(), state.strip()) for symbol, state, _ in rows]


class LegendParser(HTMLParser):
    """(symbol, label) of each item of the coverage page's legend."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[list[str]] = []
        self.depth = 0  # inside the legend <ul>
        self.in_symbol = False
        self.in_count = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "ul" and found.get("data-testid") == "coverage-legend":
            self.depth = 1
        elif self.depth and tag == "li":
            self.items.append(["", ""])
        elif self.depth and tag == "span":
            classes = (found.get("class") or "").split()
            self.in_symbol = "px-state" in classes
            self.in_count = "px-meta" in classes

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self.depth:
            self.depth = 0
        elif tag == "span":
            self.in_symbol = self.in_count = False

    def handle_data(self, data: str) -> None:
        if not self.depth or not self.items or self.in_count:
            return
        self.items[-1][0 if self.in_symbol else 1] += data


def test_the_legend_on_screen_is_the_documented_one(admin_client: Client) -> None:
    html = admin_client.get("/cms/studio/coverage/").content.decode()
    parser = LegendParser()
    parser.feed(html)
    shown = [(symbol.strip(), " ".join(label.split())) for symbol, label in parser.items]
    assert shown == documented_legend()
    assert [label for _, label in shown] == [state.label for state in CellState]
    # Every cell of the matrix shows one of the legend's symbols.
    symbols = {symbol for symbol, _ in shown}
    cells = re.findall(r'<a class="px-state px-state--[a-z]+" [^>]*>([^<]+)', html)
    assert cells
    assert set(cells) <= symbols


def test_the_documented_coverage_check_passes_on_the_demo() -> None:
    (example,) = [
        found.text
        for found in read(Path(settings.BASE_DIR), "docs/studio.md")
        if found.kind == "command" and "persx_coverage" in found.text
    ]
    argv = shlex.split(example)
    assert argv[:2] == ["manage.py", "persx_coverage"]
    out = io.StringIO()
    call_command(*argv[1:], stdout=out)
    assert "OK: at or above" in out.getvalue()
