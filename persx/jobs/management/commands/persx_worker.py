"""``manage.py persx_worker``: run background jobs from the task queue.

django-tasks' database worker (the same loop as its ``db_worker``) plus a heartbeat, so a
task left behind by a worker that died is put back on the queue (persx/jobs/recovery.py).

    manage.py persx_worker                       # every queue, until stopped (Ctrl-C)
    manage.py persx_worker --queue-name drafts   # only the draft batches
    manage.py persx_worker --batch               # what is waiting now, then exit
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.jobs.worker import run_worker


class Command(BaseCommand):
    help = "Run background jobs (draft batches, rollups, monitor passes, bandit updates)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help="Queues to run, comma-separated: drafts, default; '*' (the default) for all.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait for new tasks when the queue is empty (default 1).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run the tasks waiting now, then exit."
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Exit after this many tasks."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] < 0:
            raise CommandError("--interval: 0 or more seconds")
        if options["max_tasks"] is not None and options["max_tasks"] < 1:
            raise CommandError("--max-tasks: 1 or more")
        queues = [q.strip() for q in str(options["queue_name"]).split(",") if q.strip()]
        if not queues:
            raise CommandError("--queue-name: name at least one queue, or '*'")
        log = logging.getLogger("django_tasks")
        if not log.handlers and options["verbosity"] > 0:
            log.addHandler(logging.StreamHandler(self.stdout))
            log.setLevel(logging.INFO)
        self.stdout.write(f"Worker running queues {','.join(queues)}")
        self.stdout.flush()
        run_worker(
            queue_names=queues,
            batch=options["batch"],
            interval=options["interval"],
            max_tasks=options["max_tasks"],
        )
