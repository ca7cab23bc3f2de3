"""A process's start without the cyclic garbage collector.

Django's start (settings, every app's models, Wagtail's hooks and API registries) creates
about a million objects that live as long as the process and almost no cyclic garbage, yet
CPython's collector runs hundreds of times while they are created, each full collection
walking all of them: about a quarter of a management command's start CPU. ``manage.py``
pauses collection before Django starts (:func:`pause_collection`); the last installed
app's ``ready()`` (:mod:`persx.startup.apps`) resumes it once every app is ready, before
the command runs. A process that did not pause it (gunicorn, tests) is left as it was.
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
