"""Each install makes its own secret key on first start and keeps it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings

from persx.settings.install_secret import install_secret_key


def test_first_start_makes_a_private_key_and_later_starts_reuse_it(tmp_path: Path) -> None:
    first = install_secret_key(tmp_path)
    assert len(first) >= 50
    assert install_secret_key(tmp_path) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_two_installs_never_share_a_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert install_secret_key(tmp_path / "a") != install_secret_key(tmp_path / "b")


def test_the_running_site_has_no_public_default_key() -> None:
    assert "insecure" not in settings.SECRET_KEY
    assert len(settings.SECRET_KEY) >= 50
