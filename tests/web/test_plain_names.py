"""The names screens show for PersX's keys, with the key kept in a tooltip."""

from __future__ import annotations

import pytest

from persx.engine.deciding.decision import Reason
from persx.personalization.plain_names import (
    REASON_NAMES,
    audience_name,
    block_name,
    named_html,
    reason_name,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("industry:healthcare", "Healthcare"),
        ("industry:travel", "Travel & Hospitality"),
        ("persona:ecommerce-growth-lead", "Growth Lead Gabriela (eCommerce)"),
        ("generic", "Generic"),
        ("", "—"),
        (None, "—"),
        ("industry:mining", "industry:mining"),  # not in the catalog: the key itself
        ("persona:nobody", "persona:nobody"),
        ("industry:saas~ai", "industry:saas~ai"),
    ],
)
def test_audience_names_come_from_the_catalog(key: str | None, name: str) -> None:
    assert audience_name(key) == name


def test_every_reason_code_has_a_written_name() -> None:
    assert [reason for reason in Reason if reason not in REASON_NAMES] == []


def test_reason_and_block_names_and_unknown_keys_in_words() -> None:
    assert reason_name("experiment_control") == "Experiment control (generic)"
    assert reason_name("variant_scheduled") == "Variant outside its schedule (generic)"
    assert reason_name("bandit_holdback") == "Bandit holdback (chosen at random)"
    assert reason_name("cache_stale") == "Cache stale"  # a code without a name: in words
    assert reason_name(None) == "—"
    assert block_name("feature_grid") == "Feature grid"
    assert block_name("pricing_table") == "Pricing table"
    assert block_name("") == "—"


def test_named_html_keeps_the_key_in_a_tooltip_and_escapes_it() -> None:
    assert named_html("audience", "industry:saas") == ('<span title="industry:saas">SaaS</span>')
    assert named_html("audience", "generic") == '<span title="generic">Generic</span>'
    assert named_html("audience", None) == "<span>—</span>"
    # A key without a name of its own is shown once, escaped, without a tooltip.
    assert named_html("reason", "<b>") == "<span>&lt;b&gt;</span>"
