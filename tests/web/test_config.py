"""PersX's settings are read in one place (persx/config.py) and defaulted in one place
(persx/settings/base.py): config() repeats no default, so a missing key is an error that
names it, and no other module reads a PersX setting from django.conf.settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from persx.config import config
from persx.settings import base as deployment

PERSX_ROOT = Path(__file__).resolve().parents[2] / "persx"
TOP_LEVEL = (
    "PERSX_PUBLIC_MAX_NUMBER_FIELDS",
    "FIELD_LIMIT_ADMIN_PREFIXES",
    "ADMIN_CONTENT_SECURITY_POLICY",
)
# settings.PERSX, settings.<a top-level PersX setting>, or getattr(settings, ...) of either
DIRECT_READ = re.compile(
    r"settings\.(PERSX|"
    + "|".join(TOP_LEVEL)
    + r")\b|getattr\(settings, \"(PERSX|"
    + "|".join(TOP_LEVEL)
    + r")"
)


def test_the_deployment_settings_configure_every_field() -> None:
    with override_settings(PERSX=deployment.PERSX):
        conf = config()
    assert conf.events_rate_limit_per_minute == deployment.PERSX["EVENTS_RATE_LIMIT_PER_MINUTE"]
    assert conf.public_max_number_fields == deployment.PERSX_PUBLIC_MAX_NUMBER_FIELDS


@pytest.mark.parametrize("key", sorted(deployment.PERSX))
def test_a_missing_key_is_a_configuration_error_naming_it(key: str) -> None:
    """No key has a second default in config(): without it, config() refuses by name."""
    without = {k: v for k, v in settings.PERSX.items() if k != key}
    with override_settings(PERSX=without), pytest.raises(ImproperlyConfigured, match=key):
        config()


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_a_missing_top_level_setting_is_a_configuration_error_naming_it(name: str) -> None:
    with override_settings():
        delattr(settings, name)
        with pytest.raises(ImproperlyConfigured, match=name):
            config()


def test_no_module_reads_a_persx_setting_around_config() -> None:
    readers = [
        str(path.relative_to(PERSX_ROOT.parent))
        for path in PERSX_ROOT.rglob("*.py")
        if path.parts[-2] != "settings"
        and path.name != "config.py"
        and DIRECT_READ.search(path.read_text())
    ]
    assert readers == []
