"""Rollups: visitor-level facts and daily sufficient statistics, derived from raw events.

Everything here can be rebuilt from ``persx_events.Event`` at any time
(``manage.py persx_rollup --rebuild``); :mod:`persx.analytics.services` keeps it up to date
incrementally. Reports read :class:`DailyRollup` only.

- :class:`ExperimentVisitor`: one row per experiment × visitor. The visitor's first
  exposure (earliest ``occurred_at``, then lowest event id) fixes the arm, industry,
  persona, variant and consent. The global holdout is an experiment too: key
  ``global-holdout`` with arms ``holdout`` (held-out exposures) and ``rest`` (every other
  exposure of a profiled visitor).
- :class:`VisitorConversion`: one row per experiment × visitor × metric the visitor
  converted on, counting only events at or after the first exposure (see
  :mod:`persx.events.experiment_metrics` for the metric definitions).
- :class:`DailyRollup`: per day × experiment × arm × industry × variant × metric, the
  visitors first exposed that day, the visitors who first converted that day, and the sums
  Σy, Σy² of the per-visitor values (engagement seconds) — enough for every report.
"""

from __future__ import annotations

from django.db import models


class RollupState(models.Model):
    """The watermark: events with an id up to ``last_event_id`` are in the rollups."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    events_processed = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Measurement (reports, overview, exports, health) is its own permission: editors
        # who may write pages do not see conversion data unless granted it.
        permissions = [("view_measurement", "Can view measurement reports and exports")]

    def __str__(self) -> str:
        return f"{self.name}: up to event {self.last_event_id}"


class ExperimentVisitor(models.Model):
    experiment = models.CharField(max_length=80)
    visitor_id = models.CharField(max_length=32)
    arm = models.CharField(max_length=40)
    industry = models.CharField(max_length=40, blank=True)
    persona = models.CharField(max_length=60, blank=True)
    # The audience variant of the first exposure: what the visitor saw, or for control and
    # holdout visitors what they would have seen (``would_be``).
    variant = models.CharField(max_length=80, blank=True)
    consent = models.CharField(max_length=10, default="unknown")
    first_exposed_at = models.DateTimeField()
    first_day = models.DateField()
    first_event_id = models.BigIntegerField()

    class Meta:
        constraints = [
            # visitor first: the rollups look rows up by visitor.
            models.UniqueConstraint(
                fields=["visitor_id", "experiment"], name="analytics_experiment_visitor"
            )
        ]
        indexes = [models.Index(fields=["experiment", "first_day"], name="analytics_ev_day")]

    def __str__(self) -> str:
        return f"{self.experiment}/{self.arm}: {self.visitor_id}"


class VisitorConversion(models.Model):
    experiment = models.CharField(max_length=80)
    visitor_id = models.CharField(max_length=32)
    metric = models.CharField(max_length=40)
    # Copied from the visitor's ExperimentVisitor row (recomputed together with it).
    arm = models.CharField(max_length=40)
    industry = models.CharField(max_length=40, blank=True)
    variant = models.CharField(max_length=80, blank=True)
    consent = models.CharField(max_length=10, default="unknown")
    first_converted_at = models.DateTimeField()
    day = models.DateField()
    events = models.IntegerField(default=1)
    value_sum = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visitor_id", "experiment", "metric"], name="analytics_visitor_metric"
            )
        ]
        indexes = [models.Index(fields=["experiment", "day"], name="analytics_vc_day")]

    def __str__(self) -> str:
        return f"{self.experiment}/{self.metric}: {self.visitor_id}"


class DailyRollup(models.Model):
    day = models.DateField()
    experiment = models.CharField(max_length=80)
    arm = models.CharField(max_length=40)
    industry = models.CharField(max_length=40, blank=True)
    variant = models.CharField(max_length=80, blank=True)
    metric = models.CharField(max_length=40)
    visitors = models.BigIntegerField(default=0)
    conversions = models.BigIntegerField(default=0)
    value_sum = models.FloatField(default=0.0)
    value_sum_sq = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "metric", "day", "arm", "industry", "variant"],
                name="analytics_daily_cell",
            )
        ]
        indexes = [models.Index(fields=["experiment", "day"], name="analytics_daily_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.experiment}/{self.arm}/{self.industry}/{self.metric}"


class AdjustmentCell(models.Model):
    """An experiment's visitors counted by pre-exposure cell for one metric, as of the
    rollup watermark ``through_event_id`` (:mod:`persx.analytics.adjustment_cells` writes
    them at the end of each rollup run; the report's adjusted estimates read them instead
    of the raw events while the watermark has not moved). Visitors linked to an account
    are counted here like any other: the report takes them out again and reads them one by
    one."""

    experiment = models.CharField(max_length=80)
    metric = models.CharField(max_length=40)
    arm = models.CharField(max_length=40)
    industry = models.CharField(max_length=40, blank=True)
    persona = models.CharField(max_length=60, blank=True)
    landing_page = models.CharField(max_length=300, blank=True)  # the first exposure's page
    band = models.SmallIntegerField()  # unit_cells.engagement_band
    fold = models.SmallIntegerField()  # unit_cells.fold_of
    visitors = models.BigIntegerField()
    conversions = models.BigIntegerField()
    through_event_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["experiment", "metric"], name="analytics_cell_metric")]

    def __str__(self) -> str:
        return f"{self.experiment}/{self.metric}/{self.arm}: {self.visitors} visitors"
