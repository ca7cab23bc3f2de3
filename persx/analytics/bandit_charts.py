"""The bandit report's allocation chart: each arm's share of the adaptive traffic over the
allocation versions, as stacked bands (server-rendered SVG, no JavaScript; the look of the
other measurement charts)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from persx.analytics.bandit_report import VersionRow

PALETTE = ("#6b6f76", "#007d7e", "#261a4b", "#b26200", "#1b7f3b", "#c33b32", "#5a4fcf")
GRID = "#e4e6ea"
AXIS = "#6b6f76"
TEXT = "#1f2328"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def arm_colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def allocation_chart(arms: Sequence[str], versions: Sequence[VersionRow]) -> SafeString:
    width, height, left, right, top, bottom = 720, 300, 52, 16, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (len(versions) - 1) if len(versions) > 1 else plot_w / 2)

    def y(share: float) -> float:
        return top + (1 - share) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'style="{FONT};max-width:100%;height:auto" data-testid="allocation-chart" '
        f'aria-label="Share of the adaptive traffic per arm over allocation versions">'
        f'<rect width="{width}" height="{height}" rx="8" fill="#fff"/>'
    ]
    for k in range(5):
        share = k / 4
        parts.append(
            f'<line x1="{left}" y1="{y(share):.1f}" x2="{width - right}" y2="{y(share):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 8}" y="{y(share) + 4:.1f}" font-size="11" '
            f'fill="{AXIS}" text-anchor="end">{share:.0%}</text>'
        )
    if not versions:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" font-size="13" fill="{AXIS}" '
            'text-anchor="middle">No allocation yet</text></svg>'
        )
        return mark_safe("".join(parts))
    below = [0.0] * len(versions)
    for a, arm in enumerate(arms):
        above = [b + v.weights.get(arm, 0.0) for b, v in zip(below, versions, strict=True)]
        if len(versions) == 1:  # one version: a bar rather than a band
            x0, x1 = x(0) - 40, x(0) + 40
            upper = f"{x0:.1f},{y(above[0]):.1f} {x1:.1f},{y(above[0]):.1f}"
            lower = f"{x1:.1f},{y(below[0]):.1f} {x0:.1f},{y(below[0]):.1f}"
        else:
            upper = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in enumerate(above))
            lower = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in reversed(list(enumerate(below))))
        latest = versions[-1].weights.get(arm, 0.0)
        parts.append(
            f'<polygon points="{upper} {lower}" fill="{arm_colour(a)}" fill-opacity="0.75" '
            f'stroke="#fff" stroke-width="1" data-testid="allocation-band" '
            f'data-arm="{escape(arm)}"><title>{escape(arm)}: {latest:.1%} in the latest '
            f"version</title></polygon>"
        )
        below = above
    step = max(1, len(versions) // 8)
    for i, v in enumerate(versions):
        if i % step == 0 or i == len(versions) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="11" fill="{AXIS}" '
                f'text-anchor="middle">v{v.version}</text>'
            )
    legend_x = left
    for a, arm in enumerate(arms):
        parts.append(
            f'<rect x="{legend_x}" y="{height - 22}" width="12" height="12" rx="2" '
            f'fill="{arm_colour(a)}"/><text x="{legend_x + 18}" y="{height - 12}" '
            f'font-size="12" fill="{TEXT}">{escape(arm)}</text>'
        )
        legend_x += 30 + 7 * len(arm)
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 34}" font-size="12" fill="{AXIS}" '
        'text-anchor="middle">Allocation version (share of the adaptive, non-holdback '
        "traffic)</text></svg>"
    )
    return mark_safe("".join(parts))
