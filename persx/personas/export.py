"""The persona review as Markdown (for a meeting) and CSV (for a spreadsheet)."""

from __future__ import annotations

import io

from defusedcsv import csv

from persx.charts.number_format import percent
from persx.engine.learning.persona_review import PersonaReview


def to_markdown(review: PersonaReview) -> str:
    lines = [
        f"# Persona review {review.since} to {review.until}",
        "",
        f"Low match confidence means no persona, or confidence under "
        f"{review.low_confidence_threshold:.2f}. Falling: the persona's share of the "
        "industry's answers fell from the earlier to the recent half of the window "
        "(two-proportion z ≤ −1.96).",
    ]
    for ind in review.industries:
        lines += ["", f"## {ind.name} — {ind.answers} answers", ""]
        lines += [
            "| Persona | Matched | Share | Mean confidence | Earlier → recent | "
            + " | ".join(review.months)
            + " |",
            "|---|---:|---:|---:|---|" + "---:|" * len(review.months),
        ]
        both_halves = ind.earlier_answers and ind.recent_answers
        for p in ind.personas:
            flag = " **falling**" if p.falling else ""
            trend = (
                f"{percent(p.earlier_rate, 0)} → {percent(p.recent_rate, 0)} (z {p.z:.2f}){flag}"
                if both_halves
                else "needs answers in both halves"
            )
            lines.append(
                f"| {p.name} | {p.matched} | {percent(p.share, 0)} | {p.mean_confidence:.2f} | "
                f"{trend} | " + " | ".join(str(n) for n in p.by_month) + " |"
            )
        lines.append(
            f"| All answers | {ind.answers} | | | | "
            + " | ".join(str(n) for n in ind.by_month)
            + " |"
        )
        lines += ["", "| Answer | Chosen by | Share | Listed by personas |", "|---|---:|---:|---|"]
        for a in ind.attributes:
            listed = ", ".join(a.in_personas) or "**none**"
            lines.append(f"| {a.kind}: {a.slug} | {a.count} | {percent(a.share, 0)} | {listed} |")
        lines += ["", f"Low match confidence: {ind.low_confidence} visitors."]
        for i, c in enumerate(ind.candidates, 1):
            roles = "; ".join(c.example_roles) or "—"
            lines.append(
                f"- Candidate {i}: {c.size} visitors; answers {', '.join(c.defining)}; "
                f"example roles: {roles}"
            )
    return "\n".join(lines) + "\n"


def to_csv(review: PersonaReview) -> str:
    """One row per finding: section, industry, key, count, share, detail."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "industry", "key", "count", "share", "detail"])
    for ind in review.industries:
        writer.writerow(["industry", ind.industry, "", ind.answers, "", ""])
        for month, n in zip(review.months, ind.by_month, strict=True):
            writer.writerow(["industry_month", ind.industry, month, n, "", ""])
        for p in ind.personas:
            writer.writerow(
                [
                    "persona",
                    ind.industry,
                    p.slug,
                    p.matched,
                    f"{p.share:.4f}",
                    f"earlier {p.earlier_rate:.4f} recent {p.recent_rate:.4f} z {p.z:.2f}"
                    + (" falling" if p.falling else ""),
                ]
            )
            for month, n in zip(review.months, p.by_month, strict=True):
                writer.writerow(["persona_month", ind.industry, f"{p.slug} {month}", n, "", ""])
        for a in ind.attributes:
            writer.writerow(
                [a.kind, ind.industry, a.slug, a.count, f"{a.share:.4f}", " ".join(a.in_personas)]
            )
        writer.writerow(["low_confidence", ind.industry, "", ind.low_confidence, "", ""])
        for c in ind.candidates:
            writer.writerow(
                [
                    "candidate",
                    ind.industry,
                    " ".join(c.defining),
                    c.size,
                    "",
                    "; ".join(c.example_roles),
                ]
            )
    return out.getvalue()
