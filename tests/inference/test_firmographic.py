"""The CSV firmographic provider: CIDR ranges, bisection, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from persx.inference.firmographic import CsvProvider, Firmographic


@pytest.fixture
def provider(tmp_path: Path) -> CsvProvider:
    path = tmp_path / "firms.csv"
    path.write_text(
        "# comment lines are skipped\n"
        "network,company,industry\n"
        "10.0.0.0/8,Big,saas\n"
        "11.1.0.0/16,Inner,travel\n"
        "192.0.2.0/25,Low,ecommerce\n"
        "2001:db8::/32,Six,healthcare\n",
        encoding="utf-8",
    )
    return CsvProvider(path)


def test_lookup_finds_the_range(provider: CsvProvider) -> None:
    assert provider.lookup("192.0.2.5") == Firmographic("Low", "ecommerce")
    assert provider.lookup("192.0.2.127") == Firmographic("Low", "ecommerce")
    assert provider.lookup("11.1.2.3") == Firmographic("Inner", "travel")
    assert provider.lookup("10.200.0.1") == Firmographic("Big", "saas")
    assert provider.lookup("2001:db8::1") == Firmographic("Six", "healthcare")


def test_outside_every_range_or_garbage_is_unknown(provider: CsvProvider) -> None:
    assert provider.lookup("192.0.2.128") is None
    assert provider.lookup("8.8.8.8") is None
    assert provider.lookup("1.0.0.0") is None
    assert provider.lookup("not an ip") is None
    assert provider.lookup("") is None
    assert provider.lookup("2001:db9::1") is None


def test_the_shipped_demo_file_loads() -> None:
    shipped = Path(__file__).resolve().parents[2] / "persx/inference/data/firmographic_demo.csv"
    demo = CsvProvider(shipped)
    assert demo.lookup("203.0.113.9") == Firmographic(
        "Example Hotels Group", "travel", "hotels-group.example"
    )


def test_overlapping_ranges_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "overlap.csv"
    path.write_text("network,company,industry\n10.0.0.0/8,A,saas\n10.1.0.0/16,B,travel\n")
    with pytest.raises(ValueError, match="overlap"):
        CsvProvider(path)
