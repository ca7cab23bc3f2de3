#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    from persx.startup import pause_collection

    # Django's start creates long-lived objects only: no garbage collection until every
    # app is ready (persx/startup/__init__.py says why; persx.startup's ready() resumes it).
    pause_collection()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "persx.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
