"""Settings of the production benches (page speed, HTTP throughput, memory per worker):
``persx.settings.production`` as deployed, plus the personalization master switch from the
environment (PERSX_BENCH_PERSONALIZATION=off), so the HTTP run can serve the same page with
personalization switched off. Database, Redis and secrets come from the environment
(bench/production_site.py)."""

import os

from persx.settings.production import *  # noqa: F403
from persx.settings.production import BASE_DIR, PERSX

# Collected static files are kept between runs (var/bench-static): collectstatic then only
# hashes and compresses the files that changed (the first run takes minutes on 2 cores).
STATIC_ROOT = BASE_DIR / "var" / "bench-static"

PERSX = {
    **PERSX,
    "PERSONALIZATION_ENABLED": os.environ.get("PERSX_BENCH_PERSONALIZATION", "on") != "off",
}
