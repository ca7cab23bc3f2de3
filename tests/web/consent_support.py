"""Test helpers: a client that has made an analytics-consent choice."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from persx.engine.visitor.profile import ConsentState
from persx.privacy import consent_cookie


def with_consent(client: Client, choice: ConsentState) -> Client:
    client.cookies[consent_cookie.COOKIE_NAME] = consent_cookie.encode(choice, timezone.now())
    return client
