"""Admin URLs whose view module is imported on the view's first request, not at start.

Wagtail imports every app's ``wagtail_hooks`` module while Django sets up (the snippets
app looks for registered snippets in its ``ready()``), so whatever a hooks module imports
at its top is paid by every process: each management command, each gunicorn master. The
admin's screens pull in reports, charts, numpy and the drafting code; a page or a
command needs none of them. A hooks module therefore names its views by dotted path::

    path("studio/coverage/", lazy_view("persx.studio.views.CoverageView"), name=...)

and the view's module is imported when the URL is first requested (a class-based view is
turned into a view with ``as_view()`` then). The callable keeps the target's name and
module, and ``lazy_target`` holds the dotted path, so a test can load every lazy view of
the URL configuration and fail on a misspelt one. A view whose attributes matter before it
is called (``csrf_exempt``, ``login_not_required``: middleware reads them from the URL's
callable) must not be registered lazily: the lazy callable does not have them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def load_view(target: str) -> View:
    """The view a dotted path names: a function view as it is, a view class as_view()."""
    module_name, _, name = target.rpartition(".")
    found = getattr(import_module(module_name), name)
    as_view = getattr(found, "as_view", None)
    if isinstance(found, type) and as_view is not None:
        view: View = as_view()
        return view
    if not callable(found):
        raise TypeError(f"{target} is not a view")
    return found


def lazy_view(target: str) -> View:
    """A view that imports ``target`` ("package.module.ViewName") on its first request."""
    module_name, _, name = target.rpartition(".")
    if not module_name or not name:
        raise ValueError(f"lazy_view needs a dotted path to a view, got {target!r}")
    loaded: list[View] = []  # filled once; two threads racing both get the same view

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not loaded:
            loaded.append(load_view(target))
        return loaded[0](request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    view.__module__ = module_name
    view.lazy_target = target  # type: ignore[attr-defined]
    return view
