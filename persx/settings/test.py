"""Test settings: fast hashing, quiet logs; DATABASE_URL/REDIS_URL still honoured."""

from .base import *  # noqa: F403
from .base import LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["loggers"]["persx"]["level"] = "WARNING"  # type: ignore[index]
