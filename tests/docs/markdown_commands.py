"""The commands, settings and URLs a Markdown document tells its reader to use.

Read from the document at test time, so editing a document changes what the docs tests
run (rules: ``tests/docs/manifest.py``). What counts:

- **fenced blocks** tagged ``sh``/``bash``/``shell``/``console``, ``cron`` or untagged: one
  command per line (a trailing ``\\`` continues it, ``# …`` comments are dropped). A line
  with five cron schedule fields is a cron line; a line that only assigns variables
  (``PERSX_TRUSTED_PROXY_HOPS=1``) is a setting, not a command;
- **``ini`` blocks** (systemd units): each ``ExecStart=`` line;
- **inline code** outside fences that starts like a command: ``make …``, ``python …``,
  ``.venv/bin/…``, ``manage.py …``, ``VAR=value command …``, or a ``*.py`` script with
  arguments; inline code that only assigns one variable (``PERSX_TLS=0``) is a setting;
- **URLs**: ``<http://…>`` autolinks and inline code that is a path (``/cms/``,
  ``/?industry=saas``) or methods and a path (``GET/PUT/DELETE /api/personalization``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHELL_FENCES = frozenset({"sh", "bash", "shell", "console", "cron", ""})
FENCE = re.compile(r"^\s*```\s*([\w-]*)\s*$")
FENCE_END = re.compile(r"^\s*```\s*$")
CRON_LINE = re.compile(r"^(?P<schedule>(?:[\d*/,-]+\s+){5})(?P<command>\S.*)$")
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")
INLINE_CODE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
COMMAND_START = re.compile(
    r"^(?:make|python3?|\.venv/bin/[\w.-]+|manage\.py)(?:\s|$)"
    r"|^(?:[A-Z_][A-Z0-9_]*=\S+\s+)+[a-z.]"
    r"|^[\w./-]+\.py\s"
)
HTTP_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"
METHODS_AND_PATH = re.compile(rf"^((?:{HTTP_METHODS})(?:/(?:{HTTP_METHODS}))*)\s+(/\S*)$")
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
SITE_PATH = re.compile(r"^/[\w\-./?=&%]*$")


@dataclass(frozen=True, slots=True)
class Found:
    """Something a document says, and where: ``kind`` is ``command``, ``cron``,
    ``systemd``, ``setting`` or ``url``; ``text`` is what the reader copies (whitespace
    normalised; a cron line without its trailing comment)."""

    doc: str
    line: int
    kind: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def _strip_comment(line: str) -> str:
    """Drop a shell comment (`` # …`` outside quotes)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _shell_lines(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(first line number, command) with ``\\`` continuations joined and comments dropped."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in body:
        line = _strip_comment(raw)
        if pending is not None:
            start, text = pending
            line = f"{text} {line.strip()}"
            number = start
            pending = None
        if line.endswith("\\"):
            pending = (number, line[:-1].rstrip())
            continue
        if line.strip():
            out.append((number, " ".join(line.split())))
    if pending is not None:
        out.append(pending)
    return out


def _fenced(doc: str, lang: str, body: list[tuple[int, str]]) -> list[Found]:
    if lang == "ini":
        return [
            Found(doc, n, "systemd", line.split("=", 1)[1].strip())
            for n, line in body
            if line.strip().startswith("ExecStart=")
        ]
    if lang not in SHELL_FENCES:
        return []
    found = []
    for number, line in _shell_lines(body):
        if CRON_LINE.match(line):
            found.append(Found(doc, number, "cron", line))
        elif all(ASSIGNMENT.match(word) for word in line.split()):
            found.extend(Found(doc, number, "setting", word) for word in line.split())
        else:
            found.append(Found(doc, number, "command", line))
    return found


def _inline(doc: str, text: str, first_line: int) -> list[Found]:
    found: list[tuple[int, Found]] = []

    def add(offset: int, kind: str, what: str) -> None:
        found.append((offset, Found(doc, first_line + text.count("\n", 0, offset), kind, what)))

    for match in INLINE_CODE.finditer(text):
        code = " ".join(match.group(1).split())
        methods = METHODS_AND_PATH.match(code)
        if methods:
            for method in methods.group(1).split("/"):
                add(match.start(), "url", f"{method} {methods.group(2)}")
        elif SITE_PATH.match(code) and code != "/":
            add(match.start(), "url", f"GET {code}")
        elif ASSIGNMENT.match(code):
            add(match.start(), "setting", code)
        elif COMMAND_START.match(code):
            add(match.start(), "command", code)
    for match in AUTOLINK.finditer(text):
        path = "/" + match.group(1).split("://", 1)[1].partition("/")[2]
        add(match.start(), "url", f"GET {path}")
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


def _sections(lines: list[str], titles: tuple[str, ...] | None) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of the ``## title`` sections named, or the whole text."""
    if titles is None:
        return [(1, lines)]
    out = []
    for i, line in enumerate(lines):
        if line.startswith("## ") and line[3:].strip() in titles:
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].startswith("## ")), len(lines)
            )
            out.append((i + 1, lines[i:end]))
    missing = set(titles) - {lines[start - 1][3:].strip() for start, _ in out}
    if missing:
        raise ValueError(f"no section {sorted(missing)} in the document")
    return out


def read(root: Path, doc: str, sections: tuple[str, ...] | None = None) -> list[Found]:
    """Everything ``doc`` (a path under ``root``) tells its reader to run or open, in
    document order; ``sections`` limits it to those ``## `` sections."""
    found: list[Found] = []
    lines = (root / doc).read_text().splitlines()
    for start, section in _sections(lines, sections):
        prose: list[str] = []
        body: list[tuple[int, str]] = []
        lang: str | None = None
        for offset, line in enumerate(section):
            number = start + offset
            if lang is None:
                opening = FENCE.match(line)
                if opening:
                    lang = opening.group(1).lower()
                    body = []
                    prose.append("")
                else:
                    prose.append(line)
            elif FENCE_END.match(line):
                found.extend(_fenced(doc, lang, body))
                lang = None
                prose.append("")
            else:
                body.append((number, line))
                prose.append("")
        # Paragraph by paragraph, so inline code may wrap across lines but not paragraphs.
        paragraph_start = 0
        for i in range(len(prose) + 1):
            if i == len(prose) or not prose[i].strip():
                if i > paragraph_start:
                    text = "\n".join(prose[paragraph_start:i])
                    found.extend(_inline(doc, text, start + paragraph_start))
                paragraph_start = i + 1
    return sorted(found, key=lambda f: f.line)
