"""The shipped gunicorn setup (deploy/gunicorn.conf.py) on a real gunicorn: each server's
own control socket, HEAD without body bytes, and the request header limits (the attack each
stops and the largest legitimate use beside it). Issue 15."""

from __future__ import annotations

import http.client
import runpy
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gunicorn.ctl.client import ControlClient

from harness.site_process import GUNICORN_CONFIG, free_port, gunicorn_argv, running
from tests.web.live_site import LiveSite, gunicorn_site, prepare_site_database, site_env

WAIT_S = 120.0  # a bound, not an expectation: a loaded 2-core machine is slow


def load_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONFIG))


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT_S:.0f} s for {what}", pytrace=False)
        time.sleep(0.1)


# --- control socket ---------------------------------------------------------------------


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path (pytest's tmp_path can be too long for a Unix socket's
    path, which then takes the fallback below)."""
    path = Path(tempfile.mkdtemp(prefix="pxv-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_each_server_gets_its_own_control_socket_under_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, short_dir: Path
) -> None:
    var = short_dir / "v"
    config = load_config(monkeypatch, PERSX_VAR_DIR=str(var), PERSX_BIND="127.0.0.1:8000")
    path = config["control_socket_path"]
    assert config["control_socket"] == str(var.resolve() / "gunicorn-127.0.0.1_8000.ctl")
    # Two servers on one machine: another bind, or another var directory, another socket.
    assert path(["127.0.0.1:8001"], var) != path(["127.0.0.1:8000"], var)
    assert path(["127.0.0.1:8000"], tmp_path / "w") != path(["127.0.0.1:8000"], var)
    # A var directory too deep for a Unix socket's path: a short one, still one per server.
    deep = tmp_path / ("d" * 120)
    long_a, long_b = path(["127.0.0.1:8000"], deep), path(["127.0.0.1:8001"], deep)
    assert long_a != long_b
    assert max(len(long_a.encode()), len(long_b.encode())) <= 100


def stats_pid(socket_path: str) -> int:
    with ControlClient(socket_path, timeout=WAIT_S) as client:
        return int(client.send_command("show stats")["pid"])


def test_stopping_one_server_leaves_the_others_control_socket(tmp_path: Path) -> None:
    """Two `make serve` servers on one machine: each answers on its own control socket,
    and stopping one does not delete the other's (gunicorn's default path was shared)."""
    var = tmp_path / "var"
    prepare_site_database(var)
    env = site_env(var)
    config = runpy.run_path(str(GUNICORN_CONFIG))
    port_a = free_port()
    port_b = free_port()
    while port_b == port_a:
        port_b = free_port()
    path_a, path_b = (
        config["control_socket_path"]([f"127.0.0.1:{port}"], var) for port in (port_a, port_b)
    )
    assert path_a != path_b

    def serving(port: int, name: str) -> Any:
        return running(
            gunicorn_argv(port, 1),
            env,
            var / f"{name}.log",
            f"http://127.0.0.1:{port}/api/catalog",
        )

    with serving(port_b, "b") as server_b:
        with serving(port_a, "a") as server_a:
            wait_for(lambda: Path(path_a).exists() and Path(path_b).exists(), "both sockets")
            assert stats_pid(path_a) == server_a.pid
            assert stats_pid(path_b) == server_b.pid
        assert not Path(path_a).exists()  # A removed its own socket on the way out
        assert Path(path_b).exists()
        assert stats_pid(path_b) == server_b.pid


# --- one server for HEAD and the header limits --------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with gunicorn_site(tmp_path_factory.mktemp("gunicorn") / "var", workers=1) as live:
        yield live


def request(
    site: LiveSite, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = site.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT_S)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_head_responses_send_no_body_bytes(site: LiveSite) -> None:
    """gunicorn logged "WSGI app sent body bytes on a no-body response" for every HEAD
    (a page, a static file, an error page, the API's answer and its refusal alike)."""
    for path, expected in (
        ("/contact/", 200),
        ("/static/persx/site.css", 200),
        ("/no-such-page/", 404),
        ("/api/catalog", 200),  # HEAD wherever the API answers GET
        ("/api/events", 405),  # POST only: HEAD refused like any other method
    ):
        status, headers, _ = request(site, "HEAD", path)
        assert status == expected, path
        if expected == 405:
            continue
        get_status, _, body = request(site, "GET", path)
        assert body, path
        if path.startswith(("/static/", "/api/")):  # the same bytes every time
            assert get_status == 200
            assert int(headers["Content-Length"]) == len(body), path
    log = site.log.read_text(errors="replace")
    assert "no-body response" not in log, log[-2000:]


def cookies_of(total_bytes: int) -> str:
    """A Cookie header like a marketing domain's: many tags' cookies of ~400 bytes."""
    parts: list[str] = []
    index = 0
    while sum(len(p) + 2 for p in parts) < total_bytes:
        parts.append(f"_tag{index}={'v' * 390}")
        index += 1
    return "; ".join(parts)


@pytest.mark.parametrize("kilobytes", [24, 32])
def test_a_browser_with_a_marketing_domains_cookies_is_served(
    site: LiveSite, kilobytes: int
) -> None:
    """The largest legitimate use: up to 32 KB of cookies (gunicorn's default limit, 8190
    bytes per header, answered 431 on every page)."""
    cookie = cookies_of(kilobytes * 1000)
    assert len(cookie) >= kilobytes * 1000
    status, _, body = request(site, "GET", "/contact/", {"Cookie": cookie})
    assert status == 200
    assert b"data-variant" in body


def test_a_header_far_beyond_the_limit_is_refused(site: LiveSite) -> None:
    """The attack: a 256 KiB header (a client trying to make the server buffer without
    end) is refused with 431 before Django sees it."""
    status, _, _ = request(site, "GET", "/contact/", {"Cookie": "a=" + "x" * (256 * 1024)})
    assert status == 431


def test_more_headers_than_the_limit_are_refused(site: LiveSite) -> None:
    many = {f"X-Extra-{i}": "1" for i in range(120)}
    status, _, _ = request(site, "GET", "/contact/", many)
    assert status == 431
