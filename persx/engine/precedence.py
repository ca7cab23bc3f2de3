"""Which profile layer wins when they disagree (docs/profile-precedence.md).

explicit choice now (form, ``?industry=``, override link) > cookie > account record >
session mirror > inference.
"""

from __future__ import annotations

from dataclasses import dataclass

from persx.engine.profile import VisitorProfile


@dataclass(frozen=True, slots=True)
class ProfileLayers:
    explicit: VisitorProfile | None = None
    cookie: VisitorProfile | None = None
    account: VisitorProfile | None = None
    session_mirror: VisitorProfile | None = None
    inferred: VisitorProfile | None = None


ORDER = ("explicit", "cookie", "account", "session_mirror", "inferred")


def resolve_profile(layers: ProfileLayers) -> tuple[VisitorProfile | None, str | None]:
    """Return the winning profile and the name of the layer it came from."""
    for name in ORDER:
        profile: VisitorProfile | None = getattr(layers, name)
        if profile is not None and profile.is_personalizable:
            return profile, name
    return None, None
