"""The "Accounts" screens of the Measurement menu: every account with its visitors, links by
provenance and CRM outcomes (searchable by domain, most visitors first), and one account's
page: its links, its outcomes, and its arm and the contamination in each running
account-level experiment. Measurement permission only (:class:`MeasurementScreen`).

Thin: the reads are :mod:`persx.accounts.directory`, contamination
:mod:`persx.accounts.contamination`, outcomes come through
:mod:`persx.accounts.outcome_port`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from persx.access.measurement_screen import MeasurementScreen
from persx.accounts import directory
from persx.accounts.models import Account


class AccountListView(MeasurementScreen):
    template_name = "persx_accounts/account_list.html"
    page_title = "Accounts"
    header_icon = "group"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = directory.search_term(request.GET.get("q", ""))
        page = directory.page_number(request.GET.get("page", ""))
        problem = query.problem or page.problem
        if problem:
            context = self.get_context_data(problem=problem, q=request.GET.get("q", "")[:100])
            return self.render_to_response(context, status=400)
        listing = directory.account_page(query.term, page.number)
        if listing.problem:
            context = self.get_context_data(problem=listing.problem, q=query.term)
            return self.render_to_response(context, status=400)
        return self.render_to_response(self.get_context_data(listing=listing, q=query.term))


class AccountDetailView(MeasurementScreen):
    template_name = "persx_accounts/account_detail.html"
    header_icon = "group"
    parent_url_name = "persx_accounts_list"
    parent_label = "Accounts"

    def get_page_title(self) -> str:
        return f"Account {self.account.domain}"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = Account.objects.filter(domain=kwargs["domain"]).first()
        if found is None:
            raise Http404("no account with that domain")
        self.account = found
        context = self.get_context_data(
            detail=directory.account_detail(found), list_url=reverse("persx_accounts_list")
        )
        return self.render_to_response(context)
