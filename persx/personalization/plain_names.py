"""The names people use for PersX's keys: audiences, decision reasons, block types.

Screens show these names and keep the key in a tooltip (see ``templatetags/plain_names``),
so an editor reads "Healthcare" or "Experiment control (generic)" and can still find the
``industry:healthcare`` or ``experiment_control`` that logs and exports use.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.html import format_html
from django.utils.safestring import SafeString

from persx.catalog.repository import current_catalog
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.deciding.decision import Reason

REASON_NAMES: dict[str, str] = {
    Reason.PERSONA_MATCH: "Persona match",
    Reason.INDUSTRY_MATCH: "Industry match",
    Reason.NO_PROFILE: "No profile yet (generic)",
    Reason.VARIANT_MISSING: "No variant for this audience (generic)",
    Reason.VARIANT_SCHEDULED: "Variant outside its schedule (generic)",
    Reason.EXPERIMENT_CONTROL: "Experiment control (generic)",
    Reason.HOLDOUT: "Global holdout (generic)",
    Reason.BANDIT: "Chosen by a bandit",
    Reason.BANDIT_HOLDBACK: "Bandit holdback (chosen at random)",
    Reason.DISABLED: "Personalization off (generic)",
    Reason.ERROR: "Error, fell back to generic",
    Reason.TIMEOUT: "Too slow, fell back to generic",
}


def audience_name(key: str | None) -> str:
    """``industry:healthcare`` → ``Healthcare``; ``persona:x`` → the persona's name."""
    if not key:
        return "—"
    if key == "generic":
        return "Generic"
    kind, _, slug = key.partition(":")
    catalog = current_catalog()
    if kind == "industry" and (industry := catalog.industry(slug)):
        return industry.name
    if kind == "persona" and (persona := catalog.persona(slug)):
        industry = catalog.industry(persona.industry)
        return f"{persona.name} ({industry.name})" if industry else persona.name
    return key


def reason_name(code: str | None) -> str:
    if not code:
        return "—"
    return REASON_NAMES.get(code, code.replace("_", " ").capitalize())


def block_name(block_type: str | None) -> str:
    if not block_type:
        return "—"
    return BLOCK_TYPES.get(block_type) or block_type.replace("_", " ").capitalize()


NAMERS: dict[str, Callable[[str | None], str]] = {
    "audience": audience_name,
    "reason": reason_name,
    "block": block_name,
}


def named_html(kind: str, key: str | None) -> SafeString:
    """The name of ``key`` with the key itself as the tooltip: ``<span title=key>Name</span>``."""
    name = NAMERS[kind](key)
    if not key or name == key:
        return format_html("<span>{}</span>", name)
    return format_html('<span title="{}">{}</span>', key, name)
