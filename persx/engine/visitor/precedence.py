"""Which profile layer wins when they disagree (docs/profile-precedence.md).

explicit choice now (form, ``?industry=``, override link) > cookie > account record >
session mirror > inference.

A layer may be given as a profile or as a zero-argument lookup; lookups run only when every
layer above them is empty, so a visitor with a valid cookie never costs the account query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from persx.engine.visitor.profile import VisitorProfile

Layer = Literal["explicit", "cookie", "account", "session_mirror", "inferred"]
ORDER: tuple[Layer, ...] = ("explicit", "cookie", "account", "session_mirror", "inferred")

LayerSource = VisitorProfile | None | Callable[[], VisitorProfile | None]


@dataclass(frozen=True, slots=True)
class ProfileLayers:
    explicit: LayerSource = None
    cookie: LayerSource = None
    account: LayerSource = None
    session_mirror: LayerSource = None
    inferred: LayerSource = None


def _value(source: LayerSource) -> VisitorProfile | None:
    if source is None or isinstance(source, VisitorProfile):
        return source
    return source()


def resolve_profile(layers: ProfileLayers) -> tuple[VisitorProfile | None, Layer | None]:
    """Return the winning profile and the name of the layer it came from."""
    for name in ORDER:
        profile = _value(getattr(layers, name))
        if profile is not None and profile.is_personalizable:
            return profile, name
    return None, None
