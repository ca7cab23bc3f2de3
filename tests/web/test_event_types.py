"""The event types are defined once (persx.events.event_types); every other list follows."""

from __future__ import annotations

import re
from pathlib import Path

from persx.events.event_types import (
    BROWSER_TRACKED,
    CLIENT_EVENT_TYPES,
    CONVERSION_EVENT_TYPES,
    SERVER_ONLY,
    EventType,
)
from persx.events.experiment_metrics import METRICS
from persx.events.models import Event
from persx.events.schemas import BATCH_ADAPTER

TRACKER = Path(__file__).resolve().parents[2] / "persx" / "static" / "persx" / "tracker.js"


def _tracker_types() -> set[str]:
    match = re.search(r"var TYPES = \{([^}]*)\}", TRACKER.read_text())
    assert match, "tracker.js no longer declares `var TYPES = { ... }`"
    return set(re.findall(r"([a-z_]+)\s*:\s*1", match.group(1)))


def test_tracker_js_sends_exactly_the_browser_tracked_types() -> None:
    assert _tracker_types() == set(BROWSER_TRACKED)


def test_every_browser_tracked_type_is_accepted_by_the_api_schema() -> None:
    for event_type in BROWSER_TRACKED:
        batch = BATCH_ADAPTER.validate_python(
            {
                "events": [
                    {
                        "event_id": "6f1c2a4e-8f8b-4a57-9a0e-0c7f0f3f6a11",
                        "type": event_type,
                        "occurred_at": "2026-01-01T00:00:00+00:00",
                        "page": "/",
                    }
                ]
            }
        )
        assert batch.events[0].type == event_type


def test_the_schema_refuses_the_server_only_exposure_type() -> None:
    schema = BATCH_ADAPTER.json_schema()
    client_types = schema["$defs"]["ClientEvent"]["properties"]["type"]["enum"]
    assert "exposure" not in client_types
    assert "email_click" not in client_types
    assert set(client_types) | {t.value for t in SERVER_ONLY} == {t.value for t in EventType}
    assert tuple(client_types) == CLIENT_EVENT_TYPES


def test_model_choices_and_metrics_use_the_same_types() -> None:
    choices = {value for value, _ in Event._meta.get_field("type").choices or ()}
    assert choices == {t.value for t in EventType}
    primary = {m.key for m in METRICS if m.primary}
    assert primary == set(CONVERSION_EVENT_TYPES)
    assert all(len(t.value) <= Event._meta.get_field("type").max_length for t in EventType)
