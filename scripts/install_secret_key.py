"""Print this install's secret key (made on first use, kept in var/secret_key)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from persx.settings.install_secret import install_secret_key  # noqa: E402

if __name__ == "__main__":
    var_dir = Path(os.environ.get("PERSX_VAR_DIR", ROOT / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    print(install_secret_key(var_dir))
