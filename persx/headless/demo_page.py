"""``/headless-demo/``: a page whose blocks the browser renders from ``POST /api/decisions``
(``persx/static/persx/headless.js``): the JavaScript client at work, and what the browser
test drives."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render

# The demo site's pages with personalizable blocks.
DEMO_PAGES = (("/", "Home"), ("/contact/", "Contact"), ("/about/", "About"))


def headless_demo(request: HttpRequest) -> HttpResponse:
    get_token(request)  # the csrftoken cookie headless.js sends back
    return render(request, "headless/demo.html", {"pages": DEMO_PAGES})
