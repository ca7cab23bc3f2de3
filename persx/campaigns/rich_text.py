"""An email's rich text: its links rewritten, and the same text as plain text.

Wagtail's rich text (already expanded: internal page links are real URLs) is parsed with
Beautiful Soup (a Wagtail dependency) rather than by pattern matching, so every ``<a
href>`` is found whatever its attributes, and the plain text keeps the structure
(paragraphs, headings, list items, the URL after each link's words).
"""

from __future__ import annotations

from collections.abc import Callable

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

BLOCK_TAGS = ("p", "h2", "h3", "h4", "li")


def rewrite_links(html: str, rewrite: Callable[[str], str]) -> str:
    """``html`` with every link's ``href`` replaced by ``rewrite(href)``."""
    soup = BeautifulSoup(html, "html.parser")
    for anchor in soup.find_all("a", href=True):
        anchor["href"] = rewrite(str(anchor["href"]))
    return str(soup)


def to_plain_text(html: str) -> str:
    """Paragraphs and headings as lines with a blank line between, list items as
    "- item", each link as "words (url)"."""
    soup = BeautifulSoup(html, "html.parser")
    lines: list[str] = []
    for element in soup.find_all(BLOCK_TAGS):
        if element.find_parent(BLOCK_TAGS) is not None:
            continue  # a nested block's text is part of its parent's line
        text = _inline_text(element)
        if not text:
            continue
        if element.name == "li":
            lines.append(f"- {text}")
        else:
            if lines:
                lines.append("")
            lines.append(text.upper() if element.name in ("h2", "h3") else text)
    if not lines:  # rich text without block tags: its words
        return " ".join(soup.get_text(" ").split())
    return "\n".join(lines)


def _inline_text(element: Tag) -> str:
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, NavigableString):
            if node.find_parent("a") is None:
                parts.append(str(node))
        elif isinstance(node, Tag) and node.name == "a":
            words = " ".join(node.get_text(" ").split())
            href = str(node.get("href") or "")
            parts.append(f" {words} ({href}) " if href and href != words else f" {words} ")
    return " ".join("".join(parts).split())
