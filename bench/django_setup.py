"""Django for a benchmark run: a fresh SQLite database in a temporary folder, migrated and
seeded with the demo site (~20 s). Every benchmark module starts from here."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ["PERSX_VAR_DIR"] = tempfile.mkdtemp(prefix="persx-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and an in-memory mail outbox
    print("Preparing a fresh database (migrate + demo seed)...", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)
