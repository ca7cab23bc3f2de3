"""``manage.py simulate_traffic``: synthetic visitors through the real site (see
``persx.demo.simulation`` for what a visitor does and how past days are made);
``--clear`` removes what earlier runs made."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from persx.analytics.progress import ProgressBar
from persx.analytics.services import rebuild_rollups
from persx.catalog.repository import current_catalog
from persx.demo import simulation
from persx.demo.planted_crm import INTEGRATION, planted_pipeline_lift
from persx.demo.simulated_visitor import SimulationError
from persx.demo.simulation_records import (
    INFERRED_EXPERIMENT,
    SIMULATION_EXPERIMENT,
    clear_simulated_data,
)
from persx.demo.traffic_plan import Plan, parse_baselines, parse_lifts, parse_shares
from persx.experiments.models import Experiment
from persx.monitoring.services import recount_health_counts


class Command(BaseCommand):
    help = (
        "Drive synthetic visitors through the site (profile, page views, conversions with a "
        "planted lift per industry and metric), then update the rollups. The experiment "
        f"'{SIMULATION_EXPERIMENT}' runs for the length of the run only; simulated visitors, "
        "their events, leads and profile records are marked, and --clear removes them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=400, help="Visitors (default 400).")
        parser.add_argument(
            "--days",
            type=int,
            default=1,
            help="Spread visitors over this many past days by shifting each visitor's "
            "history after the run (default 1: today only).",
        )
        parser.add_argument(
            "--industries",
            default="",
            help="Industry mix, e.g. 'saas=3,healthcare=1' (default: every catalog "
            "industry equally).",
        )
        parser.add_argument(
            "--lift",
            default="0.2",
            help="True relative lift of personalized content: '0.2' for all, or "
            "'saas=0.3,healthcare=0,travel:cta_click=0.5' (industry[:metric]=lift).",
        )
        parser.add_argument(
            "--baseline",
            default="0.03",
            help="Generic conversion rate of the contact form, optionally other metrics: "
            "'0.03,cta_click=0.08,email_signup=0.02,engagement=0.6'.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--skippers",
            type=float,
            default=0.0,
            help="Share of visitors who skip the start form (default 0). With it, the "
            "others browse with planted behaviour and answer the start form first (labelled "
            "inference examples), and the skippers, profiled by inference or not, are "
            "split by the experiment 'pli-inferred'.",
        )
        parser.add_argument(
            "--train",
            action="store_true",
            help="With --skippers: retrain the inference model on the stated visitors' "
            "answers before the skippers arrive (persx_train_inference).",
        )
        parser.add_argument(
            "--accounts",
            action="store_true",
            help="Plant accounts: visitors come from simulated companies (1 to 50 visitors "
            "each, one industry each) whose visitors convert alike, leave work emails at the "
            "company's domain, and a planted CRM export (HubSpot columns, "
            "var/simulated_crm_export.csv) is imported afterwards with the leads' qualified "
            "leads, opportunities and won deals.",
        )
        parser.add_argument(
            "--icc",
            type=float,
            default=0.1,
            help="With --accounts: the intra-account correlation of conversions (default 0.1).",
        )
        parser.add_argument(
            "--pipeline-lift",
            type=float,
            default=0.25,
            help="With --accounts: the planted relative lift of a lead's chance to qualify "
            "when the visitor saw personalized content (default 0.25).",
        )
        parser.add_argument(
            "--clear",
            action="store_true",
            help="Remove what earlier runs made (their visitors' events, leads and profile "
            "records, and the experiment if a run created it), rebuild the rollups, and "
            "simulate nothing. Real visitors' data is kept.",
        )
        parser.add_argument(
            "--url", help="Talk HTTP to a running site instead of the in-process test client."
        )
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="With --url and --days > 1: shift the visitors' events in this database "
            "(must be the site's database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clear"]:
            self._clear()
            return
        catalog = current_catalog()
        known = [i.slug for i in catalog.industries]
        try:
            industries = (
                parse_shares(options["industries"])
                if options["industries"]
                else dict.fromkeys(known, 1.0)
            )
            unknown = sorted(set(industries) - set(known))
            if unknown:
                raise ValueError(
                    f"industries: unknown {', '.join(unknown)} (known: {', '.join(known)})"
                )
            plan = Plan(
                visitors=int(options["visitors"]),
                industries=industries,
                lifts=parse_lifts(options["lift"]),
                baselines=parse_baselines(options["baseline"]),
                days=int(options["days"]),
                seed=int(options["seed"]),
                url=options.get("url") or None,
                backfill=bool(options["backfill"]),
                skippers=float(options["skippers"]),
                accounts=bool(options["accounts"]),
                account_icc=float(options["icc"]),
                pipeline_lift=float(options["pipeline_lift"]),
            )
            if options["train"] and not plan.skippers:
                raise ValueError("--train needs --skippers (it trains between the two phases)")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        existing = Experiment.objects.filter(key=SIMULATION_EXPERIMENT).first()
        running = existing is not None and existing.status == Experiment.Status.RUNNING
        self.stdout.write(
            f"{plan.visitors:,} simulated visitors, each a new browser session through the "
            f"real site (profile, contact page, sometimes the home page, events, the contact "
            f"form), spread over {plan.days} day(s). The experiment '{SIMULATION_EXPERIMENT}' "
            + (
                "was already running and stays running."
                if running
                else "runs during the run only and is stopped afterwards."
            )
        )
        if plan.url:
            self.stdout.write(
                "  (a running site sees the experiment start and stop within its cache TTL)"
            )
        bar = ProgressBar.for_command(self.stdout, "Simulating", "visitors")
        try:
            result = simulation.run(
                plan,
                bar.update,
                say=self.stdout.write,
                train=self._train if options["train"] else None,
            )
        except (ValueError, SimulationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.visitors:,} visitors ({result.personalized:,} saw a personalized "
                f"contact form) in {result.seconds:.1f} s; {result.events_written:,} events "
                f"stored, {result.events_backfilled:,} moved into the past "
                f"{plan.days} day(s); rollups {'rebuilt' if result.rollups_rebuilt else 'updated'}"
                f" ({result.rollup_events:,} events)."
            )
        )
        for (metric, personalized), n in sorted(result.conversions.items()):
            who = "personalized" if personalized else "generic"
            self.stdout.write(f"  {metric:<16} {who:<12} {n:>6,} visitors converted")
        self.stdout.write(
            f"Report: manage.py persx_report {SIMULATION_EXPERIMENT}  "
            "(admin: Measurement → Experiment reports)"
        )
        if result.health_since is not None:
            self._health(result.health_since, plan.days)
        if plan.skippers:
            self._skippers(result)
        if result.accounts:
            self._accounts(result, plan)
        self.stdout.write(
            "Simulated leads are in Leads (company 'Simulated Co', or '… (simulated)' with "
            "--accounts); "
            "`manage.py simulate_traffic --clear` removes everything the simulation made."
        )

    def _health(self, since: datetime, days: int) -> None:
        today = timezone.now().date()
        this_monday = today - timedelta(days=today.weekday())
        # Last week (the weekly report's default) holds simulated days once the run reaches
        # back past this Monday; otherwise this week's report shows the run.
        week = "" if days > today.weekday() + 1 else f" --week-start {this_monday.isoformat()}"
        self.stdout.write(
            f"Health: hourly counts recounted since {since:%Y-%m-%d %H:00} UTC (admin: Health "
            "→ Personalization health, daily trends). The weekly report of these days: "
            f"manage.py persx_weekly_report --no-email{week}  (admin: Health → Weekly reports)"
        )

    def _train(self) -> str:
        out = StringIO()
        try:
            call_command("persx_train_inference", stdout=out)
        except CommandError as exc:
            return f"inference training refused: {exc} (the current model, if any, is kept)"
        return out.getvalue().strip()

    def _skippers(self, result: simulation.SimulationResult) -> None:
        precision, coverage = result.precision, result.coverage
        self.stdout.write(
            f"Form-skippers: {result.skippers:,}; inferred an industry for {result.inferred:,}"
            f" (coverage {'n/a' if coverage is None else f'{coverage:.1%}'}), the true one "
            f"for {result.inferred_correct:,} (precision "
            f"{'n/a' if precision is None else f'{precision:.1%}'}, at the current model's "
            "threshold)."
        )
        self.stdout.write(
            f"Report: manage.py persx_report {INFERRED_EXPERIMENT}  (inferred "
            "personalization vs generic)"
        )

    def _accounts(self, result: simulation.SimulationResult, plan: Plan) -> None:
        sizes = sorted((result.accounts or {}).values())
        self.stdout.write(
            f"Planted accounts: {len(sizes):,} companies, {sizes[0]}-{sizes[-1]} visitors "
            f"each (median {sizes[len(sizes) // 2]}), intra-account correlation "
            f"{plan.account_icc:g} (admin: Measurement → Accounts)."
        )
        crm = result.crm
        if crm is None or crm.imported is None:
            self.stdout.write("Planted CRM: no lead reached a CRM stage yet; nothing imported.")
            return
        stages = ", ".join(f"{stage} {n:,}" for stage, n in sorted(crm.by_stage.items()))
        imported = crm.imported
        status = (
            f"{imported.created:,} outcomes stored, {imported.unchanged:,} unchanged"
            if not imported.problems
            else "refused: " + "; ".join(imported.problems[:3])
        )
        truth = planted_pipeline_lift(plan.lift("*", "form_submission"), plan.pipeline_lift)
        self.stdout.write(
            f"Planted CRM: {crm.outcomes:,} deals from {crm.leads:,} leads ({stages}) written "
            f"to {crm.export} and imported as integration '{INTEGRATION}': {status}. Planted "
            f"qualified-lead lift per visitor for personalized content: {truth:+.0%}. "
            f"The report counts outcomes within {crm.attribution_days} days of first "
            f"exposure (manage.py persx_attribution_window {SIMULATION_EXPERIMENT}). "
            f"Match report: manage.py persx_outcomes_match"
        )

    def _clear(self) -> None:
        cleared = clear_simulated_data()
        bar = ProgressBar.for_command(self.stdout, "Rebuilding rollups", "events")
        run = rebuild_rollups(progress=bar.update)
        if cleared.earliest is not None:  # the health dashboard's hours that held them
            recount_health_counts(cleared.earliest, timezone.now())
        experiments = (
            f"; experiment(s) {', '.join(cleared.experiments)} deleted"
            if cleared.experiments
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {cleared.visitors:,} simulated visitors: {cleared.events:,} events, "
                f"{cleared.leads:,} leads, {cleared.profile_records:,} profile records, "
                f"{cleared.outcomes:,} planted CRM outcomes"
                f"{experiments}. Rollups rebuilt from the {run.events:,} remaining events"
                + (
                    f"; health counts recounted since {cleared.earliest:%Y-%m-%d}."
                    if cleared.earliest is not None
                    else "."
                )
            )
        )
