"""Who the numbers are about: consenting visitors only, in the words of the site's mode.

The rollups count a visitor only when their consent at first exposure is one the site's
mode counts (``persx.privacy.consent.counted_states``); every report says so. Changing the
mode changes who counts: rebuild the rollups (``manage.py persx_rollup --rebuild``).
"""

from __future__ import annotations

from persx.privacy.consent import ConsentMode
from persx.privacy.mode import consent_mode


def consent_scope_text() -> str:
    if consent_mode() is ConsentMode.OPT_IN:
        return (
            "Consenting visitors only (opt-in): only visitors who accepted analytics are counted."
        )
    return (
        "Consenting visitors only (opt-out): visitors who declined analytics or whose "
        "browser sends Global Privacy Control are not counted."
    )
