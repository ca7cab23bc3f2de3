"""The firmographic port's account link: on a measured visitor's first page view, the
company behind their network (when the source knows its domain) becomes their account.

Once per visitor, before the page is decided, so an account-level experiment hashes the
account from the visitor's first exposure on. Only the first page view pays for it (a
lookup in memory; a few queries when a company is found); the address is looked up again
here and dropped, as in ``persx.inference.firmographic``.
"""

from __future__ import annotations

from django.http import HttpRequest

from persx.accounts.services import link_firmographic
from persx.http.client_address import client_ip
from persx.inference.firmographic import current_provider
from persx.inference.visitor_signals import signals_of
from persx.visitors.state import visitor


def link_on_first_visit(request: HttpRequest) -> bool:
    """Link the visitor to the company of their network; whether a link was written.

    Nothing happens unless the behaviour signals were started by this very request (the
    signals exist only when consent allows measurement) and the source names a domain."""
    state = signals_of(request)
    if state is None or not state.changed or len(state.signals.pages_viewed) != 1:
        return False
    ip = client_ip(request)
    found = current_provider().lookup(ip) if ip else None
    if found is None or not found.domain:
        return False
    profile = visitor(request).profile
    visitor_id = profile.visitor_id if profile is not None else state.visitor_id
    link = link_firmographic(
        visitor_id, found.domain, company=found.company, industry=found.industry
    )
    return link is not None
