"""The CSRF guard of the API's writes, and how the OpenAPI document states it.

A write (``PUT``/``DELETE`` of the visitor's own state) needs the ``csrftoken`` cookie that
the path's ``GET`` sets, echoed in the ``X-CSRFToken`` header; nothing else is required (no
profile cookie: a visitor without one may set a profile or forget). The guard is a view
decorator (``ninja.decorators.decorate_view(csrf_required)``), so it runs before the body is
read, as Django's own CSRF check would, and answers 403 in the API's error shape. The
operation documents exactly that: the header and the cookie as required parameters and
no security scheme (a scheme would claim a credential the operation does not require).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.utils import check_csrf

from persx.http.errors import error_response

HEADER = "X-CSRFToken"
COOKIE = "csrftoken"
REFUSED = "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header"


def csrf_parameters(get_path: str) -> dict[str, Any]:
    """``openapi_extra`` for a write guarded by :func:`csrf_required`."""
    where = f"the csrftoken cookie that GET {get_path} sets"
    return {
        "parameters": [
            {
                "in": "header",
                "name": HEADER,
                "required": True,
                "schema": {"type": "string"},
                "description": f"The value of {where}.",
            },
            {
                "in": "cookie",
                "name": COOKIE,
                "required": True,
                "schema": {"type": "string"},
                "description": f"{where[0].upper()}{where[1:]}.",
            },
        ]
    }


def csrf_required(run: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) a request whose CSRF token is missing or wrong; run it otherwise."""

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        refused: HttpResponse | None = check_csrf(request)
        if refused is not None:
            return error_response(403, REFUSED, [{"loc": ["header", HEADER], "msg": REFUSED}])
        return run(request, *args, **kwargs)

    return checked
