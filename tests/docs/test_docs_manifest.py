"""The documents and the docs tests cannot drift (rules: ``tests/docs/manifest.py``):
every command a document gives is run or listed with a reason, every listed command is
still in a document, every setting a document names is read by the code. Fast: no server.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.site_process import ROOT
from tests.docs.manifest import (
    DEMO,
    LISTED,
    PRODUCTION,
    TOUR_URLS,
    as_written,
    context_steps,
    everything,
    steps,
    tour_urls,
)
from tests.docs.markdown_commands import Found, read

# What the harness can run: make, the virtualenv's interpreter, a cron line's `cd … &&`.
RUNNABLE = re.compile(
    r"^(?:[A-Z_][A-Z0-9_]*=\S+\s+)*(?:make\s|\.venv/bin/python\s|\{checkout\}/\.venv/bin/python\s"
    r"|cd \{checkout\} && )"
)
CODE_DIRS = ("persx", "deploy", "scripts", "bench", "loadtest", "harness")


def test_every_command_runs_or_is_listed_with_a_reason() -> None:
    unrunnable = [
        f"{s.found.where}: `{s.found.text}` would run as `{s.command}`"
        for s in steps(ROOT)
        if s.listed is None and not RUNNABLE.match(s.command or "")
    ]
    assert not unrunnable, (
        "these document commands cannot run as written here: make them runnable or add them "
        "to LISTED in tests/docs/manifest.py with the reason and what runs instead:\n"
        + "\n".join(unrunnable)
    )
    for text, listed in LISTED.items():
        assert listed.reason.strip(), text
        assert listed.instead is None or listed.instead.strip(), text


def test_every_listed_command_is_still_in_a_document() -> None:
    written = {found.text for _, found in everything(ROOT)}
    stale = sorted(set(LISTED) - written)
    assert not stale, f"LISTED names commands no document holds any more: {stale}"


def test_each_context_starts_its_server_first_and_runs_something() -> None:
    for context in (DEMO, PRODUCTION):
        ordered = context_steps(ROOT, context)
        assert ordered[0].server, context
        assert sum(s.server for s in ordered) == 1, context
        assert any(s.command and not s.server for s in ordered), context


def test_the_tour_runs_its_simulation_report_and_undo_in_that_order() -> None:
    demo = [s.command or "" for s in context_steps(ROOT, DEMO)]
    simulate = demo.index("make simulate")
    report = demo.index(".venv/bin/python manage.py persx_report pli-contact")
    clear = demo.index(".venv/bin/python manage.py simulate_traffic --clear")
    assert simulate < report < clear == len(demo) - 1


def test_every_documented_setting_is_read_by_the_code() -> None:
    code = "\n".join(
        path.read_text(errors="replace")
        for folder in CODE_DIRS
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
    )
    code += (ROOT / "Makefile").read_text()
    names = {
        found.text.split("=", 1)[0]: found.where
        for _, found in everything(ROOT)
        if found.kind == "setting"
    }
    assert names
    unread = {name: where for name, where in names.items() if name not in code}
    assert not unread, f"documented settings nothing reads: {unread}"


def test_the_tour_names_urls_and_every_special_answer_is_still_named() -> None:
    urls = {found.text for found in tour_urls(ROOT)}
    assert "GET /contact/" in urls
    assert set(TOUR_URLS) <= urls


# The reader itself, on a small document.
SAMPLE = """# Title

Run `make run PORT=9000` or `.venv/bin/python manage.py persx_report
pli-contact`; open <http://127.0.0.1:8000/contact/> and `/?industry=saas`, call
`GET/PUT /api/personalization`; set `PERSX_TLS=0`.

```sh
make serve   # the server
DATABASE_URL=postgres://postgres@127.0.0.1:5432/x \\
  .venv/bin/python bench/x.py --n 1
PERSX_A=1 PERSX_B=2   # settings
```

```cron
*/5 * * * *  cd /srv/persx && .venv/bin/python manage.py persx_rollup  # rollups
```

```ini
[Service]
ExecStart=/srv/persx/.venv/bin/python manage.py persx_monitor
```

```python
make = "not a command"
```

## Other

`manage.py persx_monitor`
"""


def test_the_reader_finds_commands_settings_and_urls(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(SAMPLE)
    found = [(f.line, f.kind, f.text) for f in read(tmp_path, "doc.md", ("Other",))]
    assert found == [(29, "command", "manage.py persx_monitor")]
    found = [(f.line, f.kind, f.text) for f in read(tmp_path, "doc.md")]
    assert found == [
        (3, "command", "make run PORT=9000"),
        (3, "command", ".venv/bin/python manage.py persx_report pli-contact"),
        (4, "url", "GET /contact/"),
        (4, "url", "GET /?industry=saas"),
        (5, "url", "GET /api/personalization"),
        (5, "url", "PUT /api/personalization"),
        (5, "setting", "PERSX_TLS=0"),
        (8, "command", "make serve"),
        (
            9,
            "command",
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/x.py --n 1",
        ),
        (11, "setting", "PERSX_A=1"),
        (11, "setting", "PERSX_B=2"),
        (15, "cron", "*/5 * * * * cd /srv/persx && .venv/bin/python manage.py persx_rollup"),
        (20, "systemd", "/srv/persx/.venv/bin/python manage.py persx_monitor"),
        (29, "command", "manage.py persx_monitor"),
    ]


def test_commands_run_as_written_with_only_the_documented_rewrites() -> None:
    def written(kind: str, text: str) -> str:
        return as_written(Found("doc.md", 1, kind, text))

    assert written("command", "make simulate") == "make simulate"
    assert written("command", "manage.py persx_rollup") == ".venv/bin/python manage.py persx_rollup"
    assert (
        written("command", "python -m loadtest.run all") == ".venv/bin/python -m loadtest.run all"
    )
    assert (
        written(
            "cron",
            "*/5 * * * * cd /srv/persx && X=1 .venv/bin/python manage.py a >> "
            "/var/log/persx/a.log 2>&1",
        )
        == "cd {checkout} && X=1 .venv/bin/python manage.py a >> "
        "{checkout}/var/log/persx/a.log 2>&1"
    )
    assert (
        written("command", "DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python b.py")
        == "DATABASE_URL={database_url} .venv/bin/python b.py"
    )
