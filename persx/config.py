"""Typed access to the ``PERSX`` settings dict (read on each call, so tests can override)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True, slots=True)
class PersxConfig:
    personalization_enabled: bool
    decision_budget_ms: float
    profile_cookie_name: str
    profile_cookie_max_age: int
    profile_cookie_max_bytes: int
    profile_reconfirm_days: int
    cache_ttl_seconds: float
    api_max_body_bytes: int
    events_max_body_bytes: int
    holdout_share: float
    holdout_seed: str
    inference_enabled: bool
    inference_target_precision: float
    signals_cookie_name: str
    signals_cookie_max_age: int
    firmographic_csv: str
    rollup_refresh_seconds: float
    consent_mode: str
    events_retention_months: int | None  # None: keep every month


def _months(value: object) -> int | None:
    """A month count from settings or the environment: "", "none" or None keep everything."""
    if value is None or str(value).strip().lower() in ("", "none"):
        return None
    months = int(str(value))
    if months < 1:
        raise ValueError(f"EVENTS_RETENTION_MONTHS must be at least 1, not {months}")
    return months


def config() -> PersxConfig:
    raw: dict[str, Any] = settings.PERSX
    return PersxConfig(
        personalization_enabled=bool(raw["PERSONALIZATION_ENABLED"]),
        decision_budget_ms=float(raw["DECISION_BUDGET_MS"]),
        profile_cookie_name=str(raw["PROFILE_COOKIE_NAME"]),
        profile_cookie_max_age=int(raw["PROFILE_COOKIE_MAX_AGE"]),
        profile_cookie_max_bytes=int(raw["PROFILE_COOKIE_MAX_BYTES"]),
        profile_reconfirm_days=int(raw["PROFILE_RECONFIRM_DAYS"]),
        cache_ttl_seconds=float(raw["CACHE_TTL_SECONDS"]),
        api_max_body_bytes=int(raw["API_MAX_BODY_BYTES"]),
        events_max_body_bytes=int(raw["EVENTS_MAX_BODY_BYTES"]),
        holdout_share=float(raw["HOLDOUT_SHARE"]),
        holdout_seed=str(raw["HOLDOUT_SEED"]),
        inference_enabled=bool(raw.get("INFERENCE_ENABLED", True)),
        inference_target_precision=float(raw.get("INFERENCE_TARGET_PRECISION", 0.9)),
        signals_cookie_name=str(raw.get("SIGNALS_COOKIE_NAME", "persx_signals")),
        signals_cookie_max_age=int(raw.get("SIGNALS_COOKIE_MAX_AGE", 30 * 24 * 3600)),
        firmographic_csv=str(raw.get("FIRMOGRAPHIC_CSV", "")),
        rollup_refresh_seconds=float(raw["ROLLUP_REFRESH_SECONDS"]),
        consent_mode=str(raw.get("CONSENT_MODE", "opt_in")),
        events_retention_months=_months(raw.get("EVENTS_RETENTION_MONTHS", 13)),
    )
