"""Laptop settings: `make run`."""

import os

from .base import *  # noqa: F403
from .base import PERSX

DEBUG = True
# The demo tour must personalize for everyone; production holds out 10% by default.
PERSX = {**PERSX, "HOLDOUT_SHARE": float(os.environ.get("PERSX_HOLDOUT_SHARE", "0.0"))}
# Emails (alerts, weekly report) are printed, not sent, unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
