"""The Content-Security-Policy of every response: strict on the site, scoped for the admin.

Built on django-csp (``csp.middleware.CSPMiddleware``: maintained, typed, builds and
merges the header, hands out per-request nonces), configured in settings:

- ``CONTENT_SECURITY_POLICY``: the public site. Scripts only from this origin, no inline
  script and no ``'unsafe-inline'`` (the JSON data islands ``<script type=
  application/json>`` are data, not executed, so no directive applies to them). Styles
  from this origin plus a per-request nonce, which only the start form's catalog-driven
  ``<style nonce=…>`` asks for (the nonce reaches the header only when a template reads
  ``request.csp_nonce``).
- ``ADMIN_CONTENT_SECURITY_POLICY``: replaces it under ``PATH_PREFIXES`` (the Wagtail
  admin at ``/cms/``), because Wagtail 8 still renders inline scripts (inline panels,
  date pickers) and inline styles; the admin allows ``'unsafe-inline'`` there and only
  there. Everything else (origins, frames, forms, objects) is as strict as the site.

Violations are reported to ``POST /api/csp-reports`` (``persx.http.csp_report``).
"""

from __future__ import annotations

from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

from persx.config import config


def admin_policy(path: str) -> dict[str, Any] | None:
    """The admin's directives when ``path`` is under one of its prefixes."""
    scoped = config().admin_content_security_policy
    prefixes = tuple(scoped.get("PATH_PREFIXES", ()))
    if prefixes and path.startswith(prefixes):
        return dict(scoped["DIRECTIVES"])
    return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the admin's policy scoped to the admin's paths."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None:
            parts.config = admin_policy(request.path_info)
        return parts
