"""Analytics consent: the visitor's choice, the site's mode, and what they allow.

Three states (``persx.engine.visitor.profile.ConsentState``): ``granted``, ``denied`` (the visitor
declined, or the browser sent Global Privacy Control), ``unknown`` (no choice yet). The
site's mode ``PERSX["CONSENT_MODE"]`` says what ``unknown`` means for measurement:

- ``opt_in`` (EU-style sites, ePrivacy art. 5(3)): only ``granted`` is measured;
- ``opt_out``: ``granted`` and ``unknown`` are measured, ``denied`` never.

Measurement = page views, exposures, tracker events and the behaviour-signals cookie
(profiling). The profile the visitor asked for (start form) is functional: it works in
every state, and so does a contact-form lead (the visitor asked to be contacted).

Global Privacy Control (``Sec-GPC: 1``) is an opt-out signal: without an explicit choice
it counts as ``denied``. An explicit "Accept" given on this site later wins over it (the
visitor's specific choice for this site; the privacy page says GPC was seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from persx.engine.visitor.profile import ConsentState


class ConsentMode(StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class ConsentSource(StrEnum):
    CHOICE = "choice"  # the visitor's Accept/Decline (the consent cookie)
    GPC = "gpc"  # the browser's Global Privacy Control signal
    DEFAULT = "default"  # nothing said yet


def counted_states(mode: ConsentMode) -> tuple[ConsentState, ...]:
    """The consent states whose events are stored and counted under ``mode``."""
    if mode is ConsentMode.OPT_IN:
        return (ConsentState.GRANTED,)
    return (ConsentState.GRANTED, ConsentState.UNKNOWN)


def measurement_allowed(state: ConsentState, mode: ConsentMode) -> bool:
    return state in counted_states(mode)


@dataclass(frozen=True, slots=True)
class ConsentStatus:
    """What one request knows about the visitor's analytics consent."""

    state: ConsentState
    source: ConsentSource
    mode: ConsentMode
    gpc: bool = False

    @property
    def allows_measurement(self) -> bool:
        return measurement_allowed(self.state, self.mode)

    @property
    def needs_choice(self) -> bool:
        """Show the banner: nobody (visitor or browser) has said anything yet."""
        return self.source is ConsentSource.DEFAULT


def resolve_consent(choice: ConsentState | None, gpc: bool, mode: ConsentMode) -> ConsentStatus:
    """An explicit choice > Global Privacy Control (denied) > unknown."""
    if choice is not None:
        return ConsentStatus(choice, ConsentSource.CHOICE, mode, gpc)
    if gpc:
        return ConsentStatus(ConsentState.DENIED, ConsentSource.GPC, mode, gpc)
    return ConsentStatus(ConsentState.UNKNOWN, ConsentSource.DEFAULT, mode, gpc)


def mode_description(mode: ConsentMode) -> str:
    """The mode in words, for reports and the privacy page."""
    if mode is ConsentMode.OPT_IN:
        return "opt-in: only visitors who accepted analytics are measured"
    return "opt-out: visitors are measured unless they declined or their browser sends GPC"
