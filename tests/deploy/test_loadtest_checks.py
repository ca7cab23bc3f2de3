"""The load test's checker (loadtest/checks.py): what counts as cross-talk and as a lost
event. Fast; `make loadtest` itself is not part of `make test`."""

from __future__ import annotations

from pathlib import Path

from loadtest.checks import RunTally, cross_talk, missing_events


def page(profile: str, *served: str) -> str:
    blocks = "".join(
        f'<section data-testid="b{i}" data-variant="{v}"></section>' for i, v in enumerate(served)
    )
    return f'<html><body class="page-home" data-profile="{profile}">{blocks}</body></html>'


def test_own_variants_and_generic_are_not_cross_talk() -> None:
    assert cross_talk(page("saas", "industry:saas", "generic"), "saas") == []
    assert cross_talk(page("none", "generic", "generic"), None) == []
    assert cross_talk(page("saas", "persona:saas-cmo"), "saas", "saas-cmo") == []


def test_another_visitors_variant_is_cross_talk() -> None:
    assert cross_talk(page("saas", "industry:travel"), "saas") == [
        "variant industry:travel served to saas"
    ]
    assert cross_talk(page("none", "industry:saas"), None) == [
        "variant industry:saas served to no profile"
    ]
    assert cross_talk(page("saas", "persona:saas-cmo"), "saas") != []


def test_the_page_must_name_the_visitors_own_profile() -> None:
    assert cross_talk(page("travel", "generic"), "saas") == [
        "data-profile=travel for a visitor of saas"
    ]
    assert cross_talk("<html><body>error</body></html>", "saas") == ["no data-profile on <body>"]


def test_tallies_add_up_across_locust_processes(tmp_path: Path) -> None:
    first, second = RunTally(pages_checked=3), RunTally(pages_checked=2, batches_acknowledged=1)
    second.acknowledged_ids = ["A", "b"]
    second.note_cross_talk(["variant industry:travel served to saas"])
    first.write(tmp_path / "tally-1.json")
    second.write(tmp_path / "tally-2.json")
    total = RunTally.read_all(sorted(tmp_path.glob("tally-*.json")))
    assert (total.pages_checked, total.cross_talk, total.batches_acknowledged) == (5, 1, 1)
    assert total.acknowledged_ids == ["A", "b"]
    assert total.cross_talk_examples == ["variant industry:travel served to saas"]


def test_an_acknowledged_event_missing_from_the_database_is_reported() -> None:
    assert missing_events(["AA", "bb", "cc"], ["aa", "cc"]) == ["bb"]
    assert missing_events(["aa"], ["aa", "zz"]) == []
