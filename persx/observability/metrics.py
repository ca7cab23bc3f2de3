"""Live Prometheus metrics of this process, and the typed functions that record them.

The request path calls the ``record_*`` functions; nothing else touches the metric objects.
Every label is bounded: reason codes and variant kinds are closed sets, block types and
industry slugs are capped (:class:`BoundedLabel`: the first ``MAX_VALUES`` distinct values
seen by a process, ``other`` after that), so a visitor id or free text can never explode
the series count.

Several worker processes: run the server with ``PROMETHEUS_MULTIPROC_DIR`` set to an empty
directory (see ``deploy/gunicorn.conf.py``). ``prometheus_client`` then keeps each value
in a per-process memory-mapped file, and ``GET /metrics`` (:mod:`persx.monitoring.views`)
sums the files of every worker. Without the variable the values live in this process only
(``runserver``, tests). Management commands should run without it.

Cost: a recording function is a dictionary lookup of the cached label child plus one
``inc``/``observe`` (about a microsecond; ``bench/monitoring.py`` measures it against a
personalized page render).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Final, Literal, Protocol

from prometheus_client import Counter, Gauge, Histogram

OTHER: Final = "other"
NONE: Final = "none"

REASONS: Final = frozenset(
    {
        "persona_match",
        "industry_match",
        "no_profile",
        "variant_missing",
        "experiment_control",
        "holdout",
        "disabled",
        "error",
        "timeout",
    }
)
VARIANT_KINDS: Final = frozenset({"generic", "industry", "persona"})
# The profile layers of ``persx.engine.visitor.precedence.ORDER`` (``explicit``: the start form or
# ``?industry=`` in this request), ``none`` without a profile.
PROFILE_LAYERS: Final = frozenset(
    {NONE, "explicit", "cookie", "account", "session_mirror", "inferred"}
)
EVENT_OUTCOMES: Final = frozenset({"accepted", "duplicate", "rejected", "rate_limited", "declined"})
EventOutcome = Literal["accepted", "duplicate", "rejected", "rate_limited", "declined"]

# Decision and page timings: sub-millisecond decisions up to slow pages.
DECISION_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

BLOCK_DECISIONS = Counter(
    "persx_block_decisions",
    "Personalizable block decisions, by block type, reason code, industry and variant kind.",
    ["block_type", "reason", "industry", "variant_kind"],
)
DECISION_SECONDS = Histogram(
    "persx_decision_seconds",
    "Time to decide a page's personalizable blocks (one pass, before rendering).",
    buckets=DECISION_BUCKETS,
)
PAGE_RENDER_SECONDS = Histogram(
    "persx_page_render_seconds",
    "Time to render a site page (not the admin, API or static files).",
    ["personalized"],
    buckets=PAGE_BUCKETS,
)
PAGES_SERVED = Counter(
    "persx_pages_served",
    "Site pages served, by where the visitor profile came from (none: no profile) and "
    "whether at least one block was personalized.",
    ["profile_layer", "personalized"],
)
START_FORM_VIEWS = Counter("persx_start_form_views", "Start form shown.")
START_FORM_COMPLETIONS = Counter("persx_start_form_completions", "Start form submitted.")
EVENTS = Counter(
    "persx_events",
    "Client events received by /api/events, by outcome.",
    ["outcome"],
)
EXPOSURE_QUEUE_DEPTH = Gauge(
    "persx_exposure_queue_depth",
    "Events waiting in the exposure writer's queue.",
    multiprocess_mode="livesum",
)
EXPOSURE_FLUSHES = Counter("persx_exposure_flushes", "Bulk inserts by the exposure writer.")
EXPOSURE_DROPPED = Counter(
    "persx_exposure_dropped", "Events the exposure writer dropped (queue full or write failed)."
)


class BoundedLabel:
    """Label values from an open set (block types, industry slugs), capped per process."""

    MAX_VALUES: Final = 64
    MAX_LENGTH: Final = 40

    def __init__(self, *, empty: str = NONE) -> None:
        self._seen: set[str] = set()
        self._empty = empty
        self._lock = threading.Lock()

    def __call__(self, value: str | None) -> str:
        if not value:
            return self._empty
        if value in self._seen:
            return value
        if len(value) > self.MAX_LENGTH or not _is_slug(value):
            return OTHER
        with self._lock:
            if len(self._seen) >= self.MAX_VALUES:
                return OTHER
            self._seen.add(value)
        return value


def _is_slug(value: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "-_") for c in value)


def _closed(allowed: frozenset[str]) -> Callable[[str], str]:
    def label(value: str) -> str:
        return value if value in allowed else OTHER

    return label


_block_type = BoundedLabel()
_industry = BoundedLabel()
_reason = _closed(REASONS)


def variant_kind(variant_key: str) -> str:
    """``generic``, ``industry`` or ``persona`` from a variant key such as ``industry:saas``."""
    if variant_key == "generic":
        return "generic"
    kind = variant_key.partition(":")[0]
    return kind if kind in VARIANT_KINDS else OTHER


# Label children cached by their raw arguments: a hit costs one dict lookup.
_decision_children: dict[tuple[str, str, str | None, str], Counter] = {}


def record_block_decision(
    block_type: str, reason: str, industry: str | None, variant_key: str
) -> None:
    """One block decision (``variant_key`` is ``generic`` or an audience key)."""
    key = (block_type, reason, industry, variant_key)
    child = _decision_children.get(key)
    if child is None:
        child = BLOCK_DECISIONS.labels(
            _block_type(block_type), _reason(reason), _industry(industry), variant_kind(variant_key)
        )
        if len(_decision_children) < 10_000:
            _decision_children[key] = child
    child.inc()


def observe_decision_seconds(seconds: float) -> None:
    DECISION_SECONDS.observe(seconds)


_render_children = {
    True: PAGE_RENDER_SECONDS.labels("yes"),
    False: PAGE_RENDER_SECONDS.labels("no"),
}
_page_children: dict[tuple[str, bool], Counter] = {}


def record_page(seconds: float, profile_layer: str, personalized: bool) -> None:
    """A site page rendered in ``seconds``; ``profile_layer`` ``none`` when no profile."""
    _render_children[personalized].observe(seconds)
    key = (profile_layer, personalized)
    child = _page_children.get(key)
    if child is None:
        layer = profile_layer if profile_layer in PROFILE_LAYERS else OTHER
        child = PAGES_SERVED.labels(layer, "yes" if personalized else "no")
        _page_children[key] = child
    child.inc()


class ServedDecision(Protocol):
    """One block decision of a page (``persx.engine.deciding.decision.ServedBlock``)."""

    @property
    def block_type(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def variant_key(self) -> str: ...


def record_page_view(
    seconds: float,
    profile_layer: str | None,
    industry: str | None,
    served: Iterable[ServedDecision],
) -> None:
    """One site page: every block decision it served, and the page (one call per page)."""
    personalized = False
    for block in served:
        record_block_decision(block.block_type, block.reason, industry, block.variant_key)
        personalized = personalized or block.variant_key != "generic"
    record_page(seconds, profile_layer or NONE, personalized)


def record_start_form_view() -> None:
    START_FORM_VIEWS.inc()


def record_start_form_completion() -> None:
    START_FORM_COMPLETIONS.inc()


_event_children = {outcome: EVENTS.labels(outcome) for outcome in EVENT_OUTCOMES}


def record_events(outcome: EventOutcome, count: int = 1) -> None:
    """``count`` client events with this outcome (one call per batch)."""
    if count > 0:
        _event_children[outcome].inc(count)


def set_exposure_queue_depth(events: int) -> None:
    EXPOSURE_QUEUE_DEPTH.set(events)


def record_exposure_flush(dropped: int = 0) -> None:
    EXPOSURE_FLUSHES.inc()
    if dropped:
        EXPOSURE_DROPPED.inc(dropped)


def record_exposure_dropped(events: int) -> None:
    if events > 0:
        EXPOSURE_DROPPED.inc(events)
