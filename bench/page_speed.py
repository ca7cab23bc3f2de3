"""Speed of a personalized page against plain Wagtail, and HTTP throughput on/off.

1. In-process (Django test client, full middleware stack, thread CPU time): the demo's
   home and contact pages for a profiled visitor (industry:healthcare: every block a
   variant) vs a plain Wagtail page of the same content (bench/plain_wagtail: each
   block's base content in a plain StructBlock, same templates, same routing), same
   visitor, same run, interleaved. Goal: personalized / plain <= 1.3.
2. HTTP throughput, 2 gunicorn workers (deploy/gunicorn.conf.py, gthread): the contact
   page for the same profiled visitor with personalization on vs the master switch off
   (PERSX_BENCH_PERSONALIZATION=off), both servers up at once on the bench's database,
   closed-loop clients alternating between them. Goal: on / off >= 90%.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.site_process import ROOT, free_port, gunicorn_argv, running

PAGES = (("home", "/", "/plain-home/"), ("contact", "/contact/", "/plain-contact/"))


def create_plain_pages() -> None:
    from wagtail.models import Site

    from bench.plain_wagtail.models import PlainPage, plain_copy
    from persx.content.models import HomePage, StandardPage

    home = Site.objects.get(is_default_site=True).root_page.specific
    sources = {"plain-home": HomePage.objects.get(pk=home.pk)}
    sources["plain-contact"] = StandardPage.objects.get(slug="contact")
    for slug, source in sources.items():
        page = PlainPage(title=source.title, slug=slug, body=plain_copy(source.body.raw_data))
        home.add_child(instance=page)
        page.save_revision().publish()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, 2 cores)"


def bench_personalized_vs_plain() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.timing import per_call_ms
    from persx.config import config
    from persx.content.fragment_cache import fragments
    from tests.web.conftest import profile_cookie

    create_plain_pages()
    client = Client()
    client.cookies[config().profile_cookie_name] = profile_cookie("healthcare")

    def getter(path: str) -> Callable[[], None]:
        def get() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return get

    print("\n== A personalized page vs a plain Wagtail page of the same content ==")
    print("   (in-process, full middleware, same visitor; thread CPU time; interleaved)")
    print(f"   {load_average()}")
    for name, personalized, plain in PAGES:
        html = client.get(personalized).content.decode()
        variants = set(re.findall(r'data-variant="([^"]+)"', html))
        on, off = getter(personalized), getter(plain)
        counts = []
        for get in (on, off):
            get()
            with CaptureQueriesContext(connection) as ctx:
                get()
            counts.append(len(ctx.captured_queries))
        on_ms: list[float] = []
        off_ms: list[float] = []
        for _ in range(15):
            on_ms += per_call_ms(on, 1, 40, time.thread_time)
            off_ms += per_call_ms(off, 1, 40, time.thread_time)
        med_on, med_off = statistics.median(on_ms), statistics.median(off_ms)
        print(f"  {name}: personalized {personalized:<11} {med_on:7.3f} ms  {counts[0]} SQL")
        print(f"  {name}: plain Wagtail {plain:<15} {med_off:7.3f} ms  {counts[1]} SQL")
        print(f"  {name}: ratio personalized / plain   {med_on / med_off:7.3f}   (goal <= 1.3)")
        print(f"  {name}: variants served              {', '.join(sorted(variants))}")
    print(f"  fragment cache: {len(fragments)} entries, {fragments.hits} hits, ")
    print(f"                  {fragments.misses} misses (renders) in this run")


def server_cpu_seconds(master: int) -> float:
    """User + system CPU of the gunicorn master's worker processes so far (/proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextmanager
def _gunicorn(personalization: str, log: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PERSX_BENCH_PERSONALIZATION": personalization,
        "PERSX_EVENTS_WRITER_THREAD": "on",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    ready = f"http://127.0.0.1:{port}/api/catalog"
    with running(gunicorn_argv(port, workers=2), env, log, ready) as proc:
        yield port, proc.pid


def closed_loop(
    port: int, path: str, cookie: str, seconds: float, clients: int, expect: bytes
) -> tuple[float, int]:
    """Requests per second of ``clients`` keep-alive connections for ``seconds``; errors."""
    done = [0] * clients
    errors = [0] * clients
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or expect not in body:
                    errors[index] += 1
                done[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def bench_http_throughput(var_dir: Path) -> None:
    from persx.config import config
    from tests.web.conftest import profile_cookie

    cookie = f"{config().profile_cookie_name}={profile_cookie('healthcare')}"
    seconds = float(os.environ.get("PERSX_BENCH_HTTP_SECONDS", "6"))
    rounds, clients = 5, 8
    print("\n== HTTP throughput, 2 gunicorn workers (gthread x4), /contact/, profiled visitor ==")
    print(
        f"   {clients} keep-alive clients, {rounds} alternating rounds of {seconds:.0f} s each side"
    )
    print(f"   before: {load_average()}")
    rates: dict[str, list[float]] = {"on": [], "off": []}
    cpu_ms: dict[str, list[float]] = {"on": [], "off": []}
    errors = {"on": 0, "off": 0}
    expect = {"on": b'data-variant="industry:healthcare"', "off": b'data-variant="generic"'}
    with (
        _gunicorn("on", var_dir / "gunicorn-on.log") as (port_on, master_on),
        _gunicorn("off", var_dir / "gunicorn-off.log") as (port_off, master_off),
    ):
        ports = {"on": port_on, "off": port_off}
        masters = {"on": master_on, "off": master_off}
        for side in ("on", "off"):  # warm both (fragment and route caches, connections)
            closed_loop(ports[side], "/contact/", cookie, 2, clients, expect[side])
        for _ in range(rounds):
            for side in ("on", "off"):
                cpu_before = server_cpu_seconds(masters[side])
                rate, failed = closed_loop(
                    ports[side], "/contact/", cookie, seconds, clients, expect[side]
                )
                served = rate * seconds
                cpu = server_cpu_seconds(masters[side]) - cpu_before
                rates[side].append(rate)
                cpu_ms[side].append(cpu * 1000 / served if served else float("nan"))
                errors[side] += failed
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    print(f"  personalization on  : {on:8.1f} requests/s  (rounds {_fmt(rates['on'])})")
    print(f"  switched off        : {off:8.1f} requests/s  (rounds {_fmt(rates['off'])})")
    print(f"  on / off            : {on / off:8.1%}   (goal >= 90%)")
    cpu_on, cpu_off = statistics.median(cpu_ms["on"]), statistics.median(cpu_ms["off"])
    print(f"  server CPU / request: on {cpu_on:.2f} ms, off {cpu_off:.2f} ms (workers, /proc)")
    print(
        f"  throughput bound by CPU, off / on: {cpu_off / cpu_on:8.1%}   (the same ratio "
        "with other load on the machine factored out)"
    )
    print(f"  wrong or failed responses: on {errors['on']}, off {errors['off']}")
    print(f"   after: {load_average()}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)
