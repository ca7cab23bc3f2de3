"""Print which of the event ids in a file are stored (one id a line in, one a line out).

Run by loadtest/run.py with the server's settings (DJANGO_SETTINGS_MODULE, DATABASE_URL).
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    import django

    django.setup()
    from persx.events.models import Event

    wanted = [line.strip() for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        for event_id in Event.objects.filter(event_id__in=chunk).values_list("event_id", flat=True):
            print(event_id)


if __name__ == "__main__":
    main()
