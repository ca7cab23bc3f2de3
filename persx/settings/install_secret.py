"""The secret key of an install that was not given one: made on first start, kept in var/.

A public default key would let anyone forge profile cookies on a demo left reachable, so
every install gets its own (``secrets.token_urlsafe``), readable only by its owner. Two
processes starting at once agree: the file is created exclusively, the loser reads it.
``DJANGO_SECRET_KEY`` in the environment always wins (and production requires it).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def install_secret_key(var_dir: Path) -> str:
    path = var_dir / FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        raise RuntimeError(f"{path} is empty: delete it to make a new secret key") from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
