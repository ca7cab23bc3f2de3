"""How the measurement screens and charts show numbers (one formatter per kind).

Templates use them through the ``persx_charts`` filters (``pct``, ``pli``, ``num``,
``prob``, ``pval``).
"""

from __future__ import annotations

import math


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def percent(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """``0.1534`` → ``15.3%`` (``+15.3%`` when signed); ``—`` when unknown or infinite."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    shown = round(value * 100, digits)
    if shown == 0:
        shown = 0.0  # no "−0.0%"
    sign = "+" if signed and shown > 0 else ""
    text = f"{sign}{shown:,.{digits}f}%"
    return text.replace("-", "−")


def count(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}"


def number(value: float | None, digits: int = 1) -> str:
    if not finite(value):
        return "—"
    assert value is not None
    return f"{value:,.{digits}f}"


def probability(value: float | None) -> str:
    """A probability in whole percent; never a flat "100%" or "0%" for a near-certainty."""
    if not finite(value):
        return "—"
    assert value is not None
    if value >= 0.995:
        return "> 99%"
    if value <= 0.005:
        return "< 1%"
    return percent(value, 0)


def p_value(value: float | None) -> str:
    if not finite(value):
        return "—"
    assert value is not None
    if value < 0.0001:
        return "< 0.0001"
    return f"{value:.4f}"
