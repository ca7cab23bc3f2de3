"""Typed access to PersX's settings (read on each call, so tests can override).

Every PersX setting is read here and nowhere else: the ``PERSX`` dict and PersX's few
top-level settings (``PERSX_PUBLIC_MAX_NUMBER_FIELDS``, ``FIELD_LIMIT_ADMIN_PREFIXES``,
``ADMIN_CONTENT_SECURITY_POLICY``). Their defaults live in one place, ``persx/settings/
base.py`` (environment-driven); this module repeats none of them, and a missing key is an
``ImproperlyConfigured`` naming it. Django's and Wagtail's own settings (``AUTH_USER_MODEL``,
``DATA_UPLOAD_MAX_*``, ``USE_TZ``, ``CSRF_TRUSTED_ORIGINS``, ``WAGTAILADMIN_BASE_URL``) are
not PersX's and are read from ``django.conf.settings`` where they are used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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
    events_writer_thread: bool
    row_security: bool
    alert_emails: tuple[str, ...]
    alert_webhook_url: str
    report_emails: tuple[str, ...]
    trusted_proxy_header: str
    trusted_proxy_hops: int
    events_rate_limit_per_minute: int  # 0 switches a rate limit off
    events_rate_limit_per_address_per_minute: int
    profile_writes_per_address_per_minute: int
    csp_reports_per_address_per_minute: int
    outcome_batches_per_integration_per_minute: int
    newsletter_confirm_days: int
    newsletter_signups_per_address_per_minute: int  # 0 switches the limit off
    newsletter_resend_minutes: int
    email_base_url: str  # '' = WAGTAILADMIN_BASE_URL
    email_link_max_age_days: int
    email_attribution_days: int
    email_unsubscribe_mailto: str
    email_postal_address: str
    public_max_number_fields: int
    admin_path_prefixes: tuple[str, ...]
    admin_content_security_policy: Mapping[str, Any]
    draft_model: str
    draft_price_input: float  # USD per million tokens
    draft_price_output: float
    event_store: str  # "relational" or "clickhouse" (persx.eventstore.selection)
    clickhouse_url: str


def _months(value: object) -> int | None:
    """A month count from settings or the environment: "", "none" or None keep everything."""
    if value is None or str(value).strip().lower() in ("", "none"):
        return None
    months = int(str(value))
    if months < 1:
        raise ValueError(f"EVENTS_RETENTION_MONTHS must be at least 1, not {months}")
    return months


class _Required(Mapping[str, Any]):
    """A settings dict whose missing key is a configuration error that names it."""

    def __init__(self, values: Mapping[str, Any], where: str) -> None:
        self._values = values
        self._where = where

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise ImproperlyConfigured(
                f"{self._where}[{key!r}] is not set: its default belongs in persx/settings/base.py"
            ) from None

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _top_level(name: str) -> Any:
    try:
        return getattr(settings, name)
    except AttributeError:
        raise ImproperlyConfigured(
            f"settings.{name} is not set: its default belongs in persx/settings/base.py"
        ) from None


def _emails(value: Iterable[object] | None) -> tuple[str, ...]:
    return tuple(str(e) for e in (value or ()) if e)


def config() -> PersxConfig:
    raw = _Required(_top_level("PERSX"), "PERSX")
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
        inference_enabled=bool(raw["INFERENCE_ENABLED"]),
        inference_target_precision=float(raw["INFERENCE_TARGET_PRECISION"]),
        signals_cookie_name=str(raw["SIGNALS_COOKIE_NAME"]),
        signals_cookie_max_age=int(raw["SIGNALS_COOKIE_MAX_AGE"]),
        firmographic_csv=str(raw["FIRMOGRAPHIC_CSV"]),
        rollup_refresh_seconds=float(raw["ROLLUP_REFRESH_SECONDS"]),
        consent_mode=str(raw["CONSENT_MODE"]),
        events_retention_months=_months(raw["EVENTS_RETENTION_MONTHS"]),
        events_writer_thread=bool(raw["EVENTS_WRITER_THREAD"]),
        row_security=bool(raw["ROW_SECURITY"]),
        alert_emails=_emails(raw["ALERT_EMAILS"]),
        alert_webhook_url=str(raw["ALERT_WEBHOOK_URL"] or ""),
        report_emails=_emails(raw["REPORT_EMAILS"]),
        trusted_proxy_header=str(raw["TRUSTED_PROXY_HEADER"] or ""),
        trusted_proxy_hops=int(raw["TRUSTED_PROXY_HOPS"]),
        events_rate_limit_per_minute=int(raw["EVENTS_RATE_LIMIT_PER_MINUTE"]),
        events_rate_limit_per_address_per_minute=int(
            raw["EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE"]
        ),
        profile_writes_per_address_per_minute=int(raw["PROFILE_WRITES_PER_ADDRESS_PER_MINUTE"]),
        csp_reports_per_address_per_minute=int(raw["CSP_REPORTS_PER_ADDRESS_PER_MINUTE"]),
        outcome_batches_per_integration_per_minute=int(
            raw["OUTCOME_BATCHES_PER_INTEGRATION_PER_MINUTE"]
        ),
        newsletter_confirm_days=int(raw["NEWSLETTER_CONFIRM_DAYS"]),
        newsletter_signups_per_address_per_minute=int(
            raw["NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_MINUTE"]
        ),
        newsletter_resend_minutes=int(raw["NEWSLETTER_RESEND_MINUTES"]),
        email_base_url=str(raw["EMAIL_BASE_URL"] or ""),
        email_link_max_age_days=int(raw["EMAIL_LINK_MAX_AGE_DAYS"]),
        email_attribution_days=int(raw["EMAIL_ATTRIBUTION_DAYS"]),
        email_unsubscribe_mailto=str(raw["EMAIL_UNSUBSCRIBE_MAILTO"] or ""),
        email_postal_address=str(raw["EMAIL_POSTAL_ADDRESS"] or ""),
        public_max_number_fields=int(_top_level("PERSX_PUBLIC_MAX_NUMBER_FIELDS")),
        admin_path_prefixes=tuple(_top_level("FIELD_LIMIT_ADMIN_PREFIXES")),
        admin_content_security_policy=_top_level("ADMIN_CONTENT_SECURITY_POLICY"),
        draft_model=str(raw["DRAFT_MODEL"]),
        draft_price_input=float(raw["DRAFT_PRICE_INPUT"]),
        draft_price_output=float(raw["DRAFT_PRICE_OUTPUT"]),
        event_store=str(raw["EVENT_STORE"]),
        clickhouse_url=str(raw["CLICKHOUSE_URL"] or ""),
    )
