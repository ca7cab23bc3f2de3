"""A fresh checkout with a user's environment, its commands and its background server.

Rules: ``tests/docs/manifest.py``.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.site_process import ROOT, free_port, wait_until_answers
from tests.docs.manifest import Step

# What a user's shell passes on; everything else (DJANGO_SETTINGS_MODULE, DATABASE_URL,
# pytest's and coverage's variables, make's MAKEFLAGS) stays behind.
PASSED_ON = (
    *("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TMPDIR"),
    *("LANG", "LC_ALL", "LC_CTYPE", "CI"),
)
# Generous bounds, not expectations: a busy 2-core machine is slow.
SERVER_START_S = 900.0
COMMAND_S = 1200.0
STOP_GRACE_S = 60.0


def fresh_checkout(dest: Path) -> Path:
    """The repository's files (``git ls-files``: tracked and new, not ignored) copied into
    ``dest`` with their times, and a link to the installed virtualenv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.exists():  # deleted in the working tree, not yet in git
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


def user_env(**extra: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def fill(command: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        command = command.replace("{" + name + "}", value)
    return command


@dataclass
class Checkout:
    root: Path
    env: dict[str, str]
    values: dict[str, str]  # the placeholders of manifest.LISTED

    def run(self, step: Step) -> str:
        """Run ``step``'s command; a failure fails the test with where it is written."""
        assert step.command is not None
        values = {"checkout": str(self.root), "free_port": str(free_port()), **self.values}
        command = fill(step.command, values)
        return self.shell(command, f"{step.found.where} says `{step.found.text}`")

    def shell(self, command: str, what: str) -> str:
        started = time.monotonic()
        try:
            result = subprocess.run(
                ["bash", "-c", command],
                cwd=self.root,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=COMMAND_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"{what}; `{command}` did not finish in {COMMAND_S:.0f} s:\n{exc}")
        if result.returncode != 0:
            pytest.fail(
                f"{what}; `{command}` (in a fresh checkout) exited {result.returncode}:\n"
                f"--- stdout (end)\n{result.stdout[-4000:]}\n--- stderr (end)\n"
                f"{result.stderr[-4000:]}",
                pytrace=False,
            )
        # Shown with the test's output (pytest -rP): what each command costs.
        print(f"{time.monotonic() - started:7.1f} s  {command}")
        return result.stdout + result.stderr

    @contextmanager
    def serving(self, step: Step, ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
        """``step``'s server in the background (its own process group), once ``ready_url``
        answers 200; SIGTERM to the group afterwards (SIGKILL after a grace period)."""
        assert step.command is not None
        command = fill(step.command, {"checkout": str(self.root), **self.values})
        log = self.root / "var" / "server.log"
        log.parent.mkdir(exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            started = time.monotonic()
            try:
                wait_until_answers(ready_url, proc, log, SERVER_START_S)
                print(f"{time.monotonic() - started:7.1f} s  {command} (until it served)")
            except Exception as exc:
                pytest.fail(f"{step.found.where}: `{command}` did not serve: {exc}")
            yield proc
        finally:
            stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group gracefully: SIGTERM, wait, then SIGKILL what is left."""
    group = proc.pid
    with _suppress_lookup():
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline and _group_alive(group):
        proc.poll()
        time.sleep(0.2)
    with _suppress_lookup():
        os.killpg(group, signal.SIGKILL)
    proc.wait()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _suppress_lookup() -> contextlib.suppress:
    return contextlib.suppress(ProcessLookupError)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class Visitor:
    """One browser's cookies over real HTTP; redirects are answers, not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        form: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data = body
        headers = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode(errors="replace"))

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(self, path: str, form: list[tuple[str, str]]) -> Answer:
        token = self.cookie("csrftoken")
        return self.request("POST", path, form=[("csrfmiddlewaretoken", token), *form], headers={})

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")
