"""The metrics an experiment is judged on, and how each is counted from events.

A visitor enters an experiment at their first exposure to it. Unless said otherwise a
metric counts events at or after that moment (a conversion before the exposure cannot have
been caused by it), and the denominator is every visitor of the arm.

Conversion rates (share of visitors with at least one such event after exposure):
``form_submission`` (contact form), ``cta_click``, ``email_signup``,
``start_form_submitted``, ``test_idea_click``, ``blog_read``.

Secondary metrics:

- ``engagement`` — time on page: the visitor's total engagement seconds after exposure
  (visitors without any count as 0); compared as a mean with Welch's t-test on Σy, Σy².
- ``form_completion`` — of the visitors who started the contact form after exposure (a
  ``form_start`` event: the tracker's first focus or input in the form), the share who
  also submitted it. Its denominator is form starters, not every visitor of the arm, so it
  tells "the form itself works better" apart from "more people submit" (a submission made
  without JavaScript has no start and counts in neither).
- ``bounce`` — visitors with exactly one ``page_view`` and no conversion event or form
  start at all (server exposures and engagement timings are not interactions). Lower is
  better.
- ``return_visit`` — a ``page_view`` on a later (UTC) day than the first exposure, at most
  7 days after it.

``personalized`` is internal to the global holdout: the visitor was shown at least one
personalized block (the numerator of the personalization rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from persx.events.event_types import ENGAGEMENT_EVENT_TYPE, EventType

MetricKind = Literal["rate", "mean"]


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    kind: MetricKind = "rate"
    lower_is_better: bool = False
    primary: bool = False  # offered as an experiment's primary metric
    of_whom: str = "visitors"  # the denominator of a rate

    @property
    def unit(self) -> str:
        return "seconds per visitor" if self.kind == "mean" else f"of {self.of_whom}"


RETURN_WINDOW_DAYS = 7

METRICS: tuple[Metric, ...] = (
    Metric(EventType.FORM_SUBMISSION.value, "Contact form submissions", primary=True),
    Metric(EventType.CTA_CLICK.value, "CTA clicks", primary=True),
    Metric(EventType.EMAIL_SIGNUP.value, "Email signups", primary=True),
    Metric(EventType.START_FORM_SUBMITTED.value, "Start form completed", primary=True),
    Metric(EventType.TEST_IDEA_CLICK.value, "Test idea clicks", primary=True),
    Metric(EventType.BLOG_READ.value, "Blog reads", primary=True),
    Metric(ENGAGEMENT_EVENT_TYPE, "Time on page", kind="mean"),
    Metric(
        "form_completion",
        "Form completions per form start",
        of_whom="visitors who started the form",
    ),
    Metric("bounce", "Bounce rate", lower_is_better=True),
    Metric("return_visit", "Return visit within 7 days"),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
PERSONALIZED = "personalized"
FORM_START = EventType.FORM_START.value  # visitor-level fact: form_completion's denominator

# Rollup metrics whose denominator is every visitor of the arm.
ALL_VISITOR_METRICS = tuple(m.key for m in METRICS if m.key != "form_completion")


def metric(key: str) -> Metric:
    """The metric called ``key`` (an unknown key is reported as a plain conversion rate)."""
    return METRIC_BY_KEY.get(key) or Metric(key, key.replace("_", " ").capitalize())
