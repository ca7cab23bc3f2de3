"""Whether this run is CI's, where nothing may be skipped.

CI=true (or 1/yes): a missing Chromium, PostgreSQL or Redis, or any skipped test, fails the
run instead of skipping. The same rule as ``in_ci()`` in scripts/test_services.py.
"""

from __future__ import annotations

import os


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
