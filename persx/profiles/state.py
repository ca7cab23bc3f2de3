"""What the request knows about its visitor, and what the response must do with the cookie."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from persx.engine.profile import VisitorProfile


class CookieAction(Enum):
    KEEP = "keep"
    SET = "set"
    DELETE = "delete"


@dataclass
class VisitorState:
    profile: VisitorProfile | None = None
    layer: str | None = None  # which layer the profile came from (engine.precedence.ORDER)
    cookie_problem: str = ""  # why a present cookie was ignored, if it was
    cookie_action: CookieAction = CookieAction.KEEP
    needs_reconfirmation: bool = False

    def remember(self, profile: VisitorProfile, layer: str = "explicit") -> None:
        """Use ``profile`` from now on and write it to the cookie on the way out."""
        self.profile = profile
        self.layer = layer
        self.cookie_action = CookieAction.SET
        self.needs_reconfirmation = False

    def forget(self) -> None:
        self.profile = None
        self.layer = None
        self.cookie_action = CookieAction.DELETE
