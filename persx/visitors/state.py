"""What a request knows about its visitor, and what the response must do with the cookie.

``VisitorProfileMiddleware`` (persx.profiles) attaches a ``VisitorState`` to every request;
everything else reads it through :func:`visitor`, never through ``getattr``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import cast

from django.http import HttpRequest

from persx.engine.visitor.precedence import Layer
from persx.engine.visitor.profile import VisitorProfile


class CookieAction(Enum):
    KEEP = "keep"
    SET = "set"
    DELETE = "delete"


@dataclass
class VisitorState:
    profile: VisitorProfile | None = None
    layer: Layer | None = None  # which layer the profile came from (engine.precedence)
    cookie_problem: str = ""  # why a present cookie was ignored, if it was
    cookie_action: CookieAction = CookieAction.KEEP
    needs_reconfirmation: bool = False

    def remember(self, profile: VisitorProfile, layer: Layer = "explicit") -> None:
        """Use ``profile`` from now on and write it to the cookie on the way out."""
        self.profile = profile
        self.layer = layer
        self.cookie_action = CookieAction.SET
        self.needs_reconfirmation = False

    def forget(self) -> None:
        self.profile = None
        self.layer = None
        self.cookie_action = CookieAction.DELETE


class VisitorRequest(HttpRequest):
    """The typed view of a request that went through ``VisitorProfileMiddleware``."""

    visitor: VisitorState


def visitor(request: HttpRequest) -> VisitorState:
    """The request's visitor state (an empty one when the middleware did not run)."""
    typed = cast(VisitorRequest, request)
    state = getattr(typed, "visitor", None)
    if state is None:
        state = typed.visitor = VisitorState()
    return state


def attach_visitor(request: HttpRequest, state: VisitorState) -> None:
    """Called once per request by the profile middleware."""
    cast(VisitorRequest, request).visitor = state
