"""Production settings: everything secret or host-specific comes from the environment."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
# Served over TLS (directly or behind a proxy that sets X-Forwarded-Proto). Only a local
# rehearsal on plain http://127.0.0.1 (`make serve`) sets PERSX_TLS=0.
TLS = os.environ.get("PERSX_TLS", "1") != "0"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = TLS
SECURE_HSTS_SECONDS = 31_536_000 if TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = TLS
SECURE_HSTS_PRELOAD = TLS
WHITENOISE_USE_FINDERS = False
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Reports do not update the rollups on load: `manage.py persx_rollup` runs from cron
# (docs/operations.md). PERSX_ROLLUP_REFRESH_SECONDS=60 turns the on-load update back on.
PERSX = {
    **PERSX,  # noqa: F405
    "ROLLUP_REFRESH_SECONDS": float(os.environ.get("PERSX_ROLLUP_REFRESH_SECONDS", "0")),
}
