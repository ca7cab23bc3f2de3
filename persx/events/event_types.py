"""Every type of event the log holds, defined once.

The model's ``choices``, the ``POST /api/events`` schema, the metric catalogue
(:mod:`persx.events.experiment_metrics`) and the browser tracker
(``static/persx/tracker.js``, checked by a test) all derive from :class:`EventType`.
"""

from __future__ import annotations

from django.db import models


class EventType(models.TextChoices):
    PAGE_VIEW = "page_view"
    EXPOSURE = "exposure"
    START_FORM_SUBMITTED = "start_form_submitted"
    FORM_START = "form_start"  # first interaction with a tracked form (once per page load)
    FORM_SUBMISSION = "form_submission"
    EMAIL_SIGNUP = "email_signup"
    CTA_CLICK = "cta_click"
    TEST_IDEA_CLICK = "test_idea_click"
    BLOG_READ = "blog_read"
    ENGAGEMENT = "engagement"
    # LCP / CLS / INP of one page load: value = the measurement (ms, or the CLS score),
    # properties = {"metric": …, "variant": …} (persx.monitoring.health.web_vitals).
    WEB_VITAL = "web_vital"
    # A click on a tracked email link (persx.email_delivery): properties = {"message": id,
    # "send": id, "block": block key}; recorded by the landing view, never sent by a client.
    EMAIL_CLICK = "email_click"


# Recorded by the request that rendered the variant, so a client cannot forge one.
SERVER_ONLY: frozenset[EventType] = frozenset({EventType.EXPOSURE, EventType.EMAIL_CLICK})

# Every type a browser may send to ``POST /api/events`` (in the order above).
CLIENT_EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType if t not in SERVER_ONLY)

# What the browser tracker itself observes and sends (page views, form submissions and the
# start form are recorded by the server). ``tracker.js`` lists the same types.
BROWSER_TRACKED: tuple[str, ...] = (
    EventType.CTA_CLICK.value,
    EventType.TEST_IDEA_CLICK.value,
    EventType.BLOG_READ.value,
    EventType.ENGAGEMENT.value,
    EventType.EMAIL_SIGNUP.value,
    EventType.WEB_VITAL.value,
    EventType.FORM_START.value,
)

# Visitor conversions: a visitor converts on a type when they have at least one such event.
CONVERSION_EVENT_TYPES: tuple[str, ...] = (
    EventType.FORM_SUBMISSION.value,
    EventType.CTA_CLICK.value,
    EventType.EMAIL_SIGNUP.value,
    EventType.START_FORM_SUBMITTED.value,
    EventType.TEST_IDEA_CLICK.value,
    EventType.BLOG_READ.value,
)
# Interactions that are not conversions themselves: a visitor with one is not a bounce.
INTERACTION_EVENT_TYPES: tuple[str, ...] = (EventType.FORM_START.value,)
# Seconds of engagement, summed per visitor (a mean, not a rate).
ENGAGEMENT_EVENT_TYPE: str = EventType.ENGAGEMENT.value
