"""Firmographic lookup: which industry the company behind a visitor's network is in.

A port (:class:`FirmographicProvider`) with one embedded provider, :class:`CsvProvider`
(``PERSX["FIRMOGRAPHIC_CSV"]``: ``network,company,industry`` rows, CIDR networks, and an
optional ``domain`` column: the company's web domain, which lets ``persx.accounts`` link the
visitor to the company's account, docs/accounts.md). A
commercial reverse-IP service plugs in by implementing ``lookup`` (call it with a short
timeout and cache answers per network, never per address) and replacing
:func:`current_provider`.

The IP address is used for the lookup and dropped: only the industry slug travels on
(into the visitor's signals cookie, and from there into a labelled example). The address
is never stored or logged. When the source knows the company's domain, ``persx.accounts``
links a measured visitor to the company's account on their first page view (company name,
domain and industry: a company's facts, kept as the visitor's account link).
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
import itertools
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from persx.config import config

logger = logging.getLogger("persx.inference")


@dataclass(frozen=True, slots=True)
class Firmographic:
    company: str
    industry: str
    domain: str = ""  # the company's web domain, when the source knows it


class FirmographicProvider(Protocol):
    def lookup(self, ip: str) -> Firmographic | None: ...


class NoProvider:
    def lookup(self, ip: str) -> Firmographic | None:
        return None


class CsvProvider:
    """IPv4/IPv6 ranges from a CSV file, searched by bisection (no I/O per lookup).

    Ranges must not overlap (``ValueError`` at load, naming the two companies).
    """

    def __init__(self, path: Path) -> None:
        ranges: list[tuple[int, int, int, Firmographic]] = []
        with path.open(newline="", encoding="utf-8") as handle:
            lines = (line for line in handle if not line.startswith("#"))
            for row in csv.DictReader(lines):
                network = ipaddress.ip_network(row["network"].strip(), strict=False)
                ranges.append(
                    (
                        network.version,
                        int(network.network_address),
                        int(network.broadcast_address),
                        Firmographic(
                            row["company"].strip(),
                            row["industry"].strip(),
                            (row.get("domain") or "").strip(),
                        ),
                    )
                )
        ranges.sort(key=lambda r: (r[0], r[1]))
        for before, after in itertools.pairwise(ranges):
            if before[0] == after[0] and after[1] <= before[2]:
                raise ValueError(
                    f"{path.name}: ranges of {before[3].company!r} and {after[3].company!r} "
                    "overlap (each address must belong to one company)"
                )
        self._ranges = ranges
        self._starts = [(r[0], r[1]) for r in ranges]

    def lookup(self, ip: str) -> Firmographic | None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        key = (address.version, int(address))
        i = bisect.bisect_right(self._starts, key) - 1
        if i < 0:
            return None
        version, start, end, found = self._ranges[i]
        if version == address.version and start <= int(address) <= end:
            return found
        return None


@lru_cache(maxsize=4)
def _provider_for(path: str) -> FirmographicProvider:
    if not path:
        return NoProvider()
    try:
        return CsvProvider(Path(path))
    except (OSError, KeyError, ValueError):
        logger.exception("firmographic CSV could not be read; lookups are off")
        return NoProvider()


def current_provider() -> FirmographicProvider:
    return _provider_for(config().firmographic_csv)
