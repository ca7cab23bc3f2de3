"""Suite-wide settings: property tests are derandomized so a CI run is reproducible.

Hypothesis still explores its usual examples, but from a fixed seed: a failure seen once is
seen every time (set HYPOTHESIS_PROFILE=explore for fresh random examples locally).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
