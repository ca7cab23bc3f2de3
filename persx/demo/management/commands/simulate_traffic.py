"""``manage.py simulate_traffic``: synthetic visitors through the real site (see
``persx.demo.simulation`` for what a visitor does and how past days are made)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.analytics.progress import ProgressBar
from persx.catalog.repository import current_catalog
from persx.demo import simulation
from persx.demo.services import SIMULATION_EXPERIMENT, ensure_simulation_experiment


class Command(BaseCommand):
    help = (
        "Drive synthetic visitors through the site (profile, page views, conversions with a "
        "planted lift per industry and metric), then update the rollups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=500, help="Visitors (default 500).")
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
            "--url", help="Talk HTTP to a running site instead of the in-process test client."
        )
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="With --url and --days > 1: shift the visitors' events in this database "
            "(must be the site's database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        catalog = current_catalog()
        known = [i.slug for i in catalog.industries]
        try:
            industries = (
                simulation.parse_shares(options["industries"])
                if options["industries"]
                else dict.fromkeys(known, 1.0)
            )
            unknown = sorted(set(industries) - set(known))
            if unknown:
                raise ValueError(
                    f"industries: unknown {', '.join(unknown)} (known: {', '.join(known)})"
                )
            plan = simulation.Plan(
                visitors=int(options["visitors"]),
                industries=industries,
                lifts=simulation.parse_lifts(options["lift"]),
                baselines=simulation.parse_baselines(options["baseline"]),
                days=int(options["days"]),
                seed=int(options["seed"]),
                url=options.get("url") or None,
                backfill=bool(options["backfill"]),
            )
            experiment, created = ensure_simulation_experiment()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(f"Created the running experiment '{SIMULATION_EXPERIMENT}'.")
            if plan.url:
                self.stdout.write(
                    "  (a running site picks it up within its cache TTL; start the run after)"
                )
        elif experiment.status != experiment.Status.RUNNING:
            self.stdout.write(
                self.style.WARNING(
                    f"Experiment '{experiment.key}' is {experiment.status}: visitors are not "
                    "assigned to it (the global holdout is still measured)."
                )
            )
        bar = ProgressBar.for_command(self.stdout, "Simulating", "visitors")
        try:
            result = simulation.run(plan, bar.update)
        except (ValueError, simulation.SimulationError) as exc:
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
