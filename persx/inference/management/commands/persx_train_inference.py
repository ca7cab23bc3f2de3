"""Train the inference model from visitors who answered the start form; make it current."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from persx.catalog.repository import current_catalog
from persx.config import config
from persx.inference.labels import labelled_visitors
from persx.inference.services import store_model
from persx.inference.training import TrainingError, train


class Command(BaseCommand):
    help = (
        "Train the visitor inference model (scikit-learn) on start-form answers and the "
        "behaviour before them; store it as a new version and serve it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--target-precision",
            type=float,
            default=None,
            help="precision the industry threshold is chosen for (default: settings, 0.9)",
        )
        parser.add_argument("--seed", type=int, default=0, help="seed of the data split")
        parser.add_argument(
            "--dry-run", action="store_true", help="train and report, but store nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target_precision"] or config().inference_target_precision
        if not 0.5 <= target < 1.0:
            raise CommandError("--target-precision must be within [0.5, 1)")
        visitors = labelled_visitors()
        catalog = current_catalog()
        # Readable (when, how many labels) and unique even for two runs in one second.
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        version = f"{stamp}-n{len(visitors)}-{secrets.token_hex(3)}"
        try:
            result = train(
                visitors,
                version,
                target_precision=target,
                persona_industries={p.slug: p.industry for p in catalog.personas},
                seed=options["seed"],
            )
        except TrainingError as error:
            raise CommandError(str(error)) from error
        ev = result.evaluation
        self.stdout.write(
            f"model {version}: {len(visitors)} labelled visitors; threshold "
            f"{result.model.industry.threshold:.3f} for precision {target:.0%}\n"
            f"held out ({ev.visitors}): ECE {ev.ece:.3f}, precision {ev.precision:.1%}, "
            f"coverage {ev.coverage:.1%}"
        )
        if not result.threshold.found:
            self.stdout.write(
                self.style.WARNING(
                    "no threshold reaches the target precision: the model will abstain for "
                    "everyone until there is more (or clearer) data"
                )
            )
        if options["dry_run"]:
            self.stdout.write("dry run: nothing stored")
            return
        store_model(result, target, len(visitors))
        self.stdout.write(self.style.SUCCESS(f"model {version} is now current"))
