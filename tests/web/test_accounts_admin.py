"""The Accounts screens of the Measurement menu (issue 17): the list (visitors, links by
provenance, outcomes, search, pages, bad input), one account's page (links without emails,
outcomes, arm and contamination per running account-level experiment), the measurement
permission; and a CRM outcome matched to a visitor links the visitor to its account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from persx.accounts.models import Account, Provenance, VisitorAccountLink
from persx.accounts.services import link_firmographic, link_work_email
from persx.analytics.permissions import ANALYSTS_GROUP
from persx.experiments.repository import invalidate_experiments
from persx.leads.models import Lead
from persx.outcomes.models import Integration
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import OutcomeRecord
from tests.web.analytics_events import EventLog
from tests.web.test_accounts import KEY, account_experiment, arm_for

pytestmark = pytest.mark.django_db

LIST = "/cms/measurement/accounts/"
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def fresh_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def detail(domain: str) -> str:
    return f"{LIST}{domain}/"


def list_domains(html: str) -> list[str]:
    return re.findall(r'<tr data-domain="([^"]+)"', html)


def signed_in(username: str, *groups: str) -> Client:
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = Client()
    client.force_login(user)
    return client


def store_won_deal(lead: Lead, outcome_id: str, amount: str) -> None:
    integration, _ = Integration.objects.get_or_create(name="hubspot-test")
    record = OutcomeRecord.model_validate(
        {
            "outcome_id": outcome_id,
            "stage": "won",
            "amount": amount,
            "currency": "EUR",
            "occurred_at": (NOW - timedelta(days=2)).isoformat(),
            "lead_id": lead.pk,
        }
    )
    result = check_and_store(integration, [record])
    assert result.ok, result
    assert result.matched == 1


def test_the_list_counts_visitors_and_links_by_provenance_most_visitors_first(
    admin_client: Client,
) -> None:
    for n in range(3):
        link_work_email(f"v-big-{n}", f"person{n}@big.example")
    link_firmographic("v-big-0", "big.example", company="Big Corp", industry="saas")
    link_work_email("v-small", "jo@small.example")
    page = admin_client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert list_domains(html) == ["big.example", "small.example"]
    row = html.split('data-domain="big.example"')[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<td class="num[^"]*">(.*?)</td>', row)]
    # visitors, then signed-in org, CRM, work email, firmographic (the precedence order)
    assert cells[:5] == ["3", "0", "0", "3", "1"]
    assert "Big Corp" in row
    assert "saas" in row
    assert "Accounts" in admin_client.get("/cms/").content.decode()


def test_search_by_domain(admin_client: Client) -> None:
    link_work_email("v-1", "a@acme-industries.com")
    link_work_email("v-2", "b@globex.example")
    html = admin_client.get(LIST, {"q": " ACME "}).content.decode()
    assert list_domains(html) == ["acme-industries.com"]
    none = admin_client.get(LIST, {"q": "initech"})
    assert none.status_code == 200
    assert b'data-testid="accounts-empty"' in none.content


def test_pages_beyond_the_first_and_a_page_past_the_last(admin_client: Client) -> None:
    accounts = Account.objects.bulk_create(
        Account(domain=f"company-{n:03d}.example") for n in range(53)
    )
    now = timezone.now()
    VisitorAccountLink.objects.bulk_create(
        VisitorAccountLink(
            visitor_id=f"v-{n}-{k}", account=a, provenance=Provenance.WORK_EMAIL, linked_at=now
        )
        for n, a in enumerate(accounts)
        for k in range(1 + (n == 52))  # the last one has two visitors: it comes first
    )
    first = admin_client.get(LIST).content.decode()
    assert len(list_domains(first)) == 50
    assert list_domains(first)[0] == "company-052.example"
    assert "page=2" in first
    second = admin_client.get(LIST, {"page": "2"}).content.decode()
    assert list_domains(second) == [f"company-{n:03d}.example" for n in (49, 50, 51)]
    past = admin_client.get(LIST, {"page": "3"})
    assert past.status_code == 400
    assert b"page: there is no page 3; the last page is 2" in past.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"page": "abc"}, "page: &#x27;abc&#x27; is not a page number"),
        ({"page": "0"}, "page: &#x27;0&#x27; is not a page number"),
        ({"page": "99999999999999999999"}, "is not a page number"),
        ({"q": "x" * 254}, "q: a domain has at most 253 characters"),
        ({"q": "acme\x00; drop"}, "q: search by domain"),
    ],
)
def test_a_bad_page_or_query_is_a_clear_400(
    admin_client: Client, query: dict[str, str], message: str
) -> None:
    link_work_email("v-1", "a@acme-industries.com")
    response = admin_client.get(LIST, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_account_page_links_without_emails_outcomes_arm_and_contamination(
    admin_client: Client,
) -> None:
    account_experiment()  # running, randomised by account
    domain = "acme-industries.com"
    visitors = ["v-ann", "v-bob", "v-cy"]
    lead = Lead.objects.create(name="Ann", email=f"ann@{domain}", visitor_id="v-ann")
    log = EventLog()
    for visitor, arm in zip(visitors, ["control", "control", "personalized"], strict=True):
        link_work_email(visitor, f"{visitor[2:]}@{domain}", source_detail=f"lead {visitor}")
        log.exposure(visitor, NOW - timedelta(days=9), experiment=KEY, arm=arm)
    log.save()
    store_won_deal(lead, "deal-7", "12500.00")

    page = admin_client.get(detail(domain))
    assert page.status_code == 200
    html = page.content.decode()
    for visitor in visitors:
        assert f"<code>{visitor}</code>" in html
    assert "@" + domain not in html  # visitor ids, never addresses
    assert "Work email domain" in html
    assert "CRM record" in html
    outcomes = html.split('data-testid="account-outcomes"')[1]
    assert "deal-7" in outcomes
    assert "EUR 12,500.00" in outcomes
    experiment = html.split('data-testid="account-experiment"')[1].split("</table>")[0]
    assert f'<span class="px-tag">{arm_for(domain)}</span>' in experiment
    assert "control: 2 · personalized: 1" in experiment
    assert "(split)" in experiment
    assert "1 of 1" in experiment  # one split account out of one
    listed = admin_client.get(LIST).content.decode()
    row = listed.split(f'data-domain="{domain}"')[1].split("</tr>")[0]
    assert "EUR 12,500" in row
    assert admin_client.get(detail("nowhere.example")).status_code == 404


def test_an_editor_without_the_measurement_permission_is_refused() -> None:
    link_work_email("v-1", "a@acme-industries.com")
    editor = signed_in("ed", "Editors")
    assert "Accounts" not in editor.get("/cms/").content.decode()
    # Wagtail turns an admin view's PermissionDenied into a redirect to the dashboard.
    for url in (LIST, detail("acme-industries.com")):
        response = editor.get(url)
        assert response.status_code in (302, 403)
        assert b"acme-industries.com" not in response.content
    assert b"persx-accounts" not in editor.get("/cms/").content
    analyst = signed_in("ana", ANALYSTS_GROUP)
    assert analyst.get(LIST).status_code == 200
    assert b"persx-accounts" in analyst.get("/cms/").content


def test_accounts_is_an_entry_of_the_measurement_menu(admin_client: Client) -> None:
    request = RequestFactory().get("/cms/")
    request.user = get_user_model().objects.get(username="boss")
    measurement = next(
        item for item in admin_menu.registered_menu_items if item.name == "measurement"
    )
    entries = {item.name: item for item in measurement.menu.menu_items_for_request(request)}
    assert entries["persx-accounts"].label == "Accounts"
    assert entries["persx-accounts"].url == LIST


def test_a_crm_match_links_the_visitor_to_the_account_once() -> None:
    lead = Lead.objects.create(name="Dee", email="dee@initech.example", visitor_id="v-dee")
    EventLog().exposure("v-dee", NOW - timedelta(days=9)).save()
    store_won_deal(lead, "deal-1", "100.00")
    store_won_deal(lead, "deal-2", "200.00")  # same visitor and account: no second link
    links = VisitorAccountLink.objects.filter(visitor_id="v-dee")
    assert [(link.account.domain, link.provenance) for link in links] == [
        ("initech.example", Provenance.CRM)
    ]
    assert links[0].source_detail == "CRM hubspot-test deal-1"
