"""A process's start without the cyclic garbage collector.

Django's start (settings, every app's models, Wagtail's hooks) creates about 150,000
container objects that live as long as the process and almost no cyclic garbage, yet
CPython's collector ran about 380 times while they were created (two of those over
everything), and again over all of them while the interpreter shut down.

``manage.py`` pauses collection before Django starts (:func:`pause_collection`); the last
installed app's ``ready()`` (:mod:`persx.startup.apps`) freezes the start's objects
(``gc.freeze``: later collections, the shutdown's included, skip them) and resumes
collection, before the command runs. Measured on ``manage.py help`` (2 cores, load about
7): CPU up to the exit 1.13 s -> 0.85 s, the exit itself 0.55 s -> 0.05 s. A process that
did not pause it (gunicorn, tests) is left as it was.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collection() -> None:
    """Switch the cyclic garbage collector off until :func:`resume_collection`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collection() -> None:
    """Switch the collector back on if :func:`pause_collection` switched it off."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False
