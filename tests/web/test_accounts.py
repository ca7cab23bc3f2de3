"""Accounts (issue 17): links from what the site learns, privacy, account-level assignment,
stickiness for visitors who become known mid-experiment, contamination, the admin field."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from persx.accounts.contamination import contamination_of, count_contamination
from persx.accounts.email_domains import company_domain, domain_of_email
from persx.accounts.models import Account, ExperimentUnitPin, Provenance, VisitorAccountLink
from persx.accounts.services import (
    account_for_email,
    account_of_visitor,
    erase_links,
    link_crm,
    link_firmographic,
    link_signed_in_org,
    link_visitor,
    link_work_email,
    units_of_visitor,
)
from persx.accounts.visitor_data import AccountLinksHeld
from persx.config import config
from persx.engine.deciding.bucketing import hash_unit
from persx.engine.deciding.experiments import Holdout
from persx.engine.visitor.profile import ConsentState
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.models import Experiment, experiment_seed
from persx.experiments.repository import invalidate_experiments
from persx.experiments.services import create_experiment
from persx.inference.visitor_signals import decode as decode_signals
from persx.leads.models import Lead
from tests.web.conftest import client_with_profile
from tests.web.consent_support import with_consent
from tests.web.test_experiments_admin import edit_url, field_errors, form_data

KEY = "contact-account"
HALF_AND_HALF = [
    {"key": "control", "kind": "generic", "weight": 0.5},
    {"key": "personalized", "kind": "personalized", "weight": 0.5},
]


@pytest.fixture(autouse=True)
def fresh_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def visitor_ids(count: int, seed: int) -> list[str]:
    """Visitor ids outside the global holdout (which is per visitor, whatever the unit)."""
    conf = config()
    holdout = Holdout(conf.holdout_seed, conf.holdout_share)
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        candidate = f"{rng.getrandbits(128):032x}"
        if not holdout.holds_out(candidate):
            found.append(candidate)
    return found


def visitor(visitor_id: str, consent: ConsentState = ConsentState.GRANTED) -> Client:
    return with_consent(client_with_profile("saas", visitor_id=visitor_id), consent)


def submit_contact(client: Client, email: str, company: str = "") -> None:
    response = client.post(
        "/contact/submit/",
        {"name": "Jo Example", "email": email, "company": company, "next": "/contact/"},
    )
    assert response.status_code == 302


def account_experiment(unit: str = "account", status: str = "running") -> Experiment:
    return create_experiment(
        key=KEY,
        name="Contact form by account",
        arms=HALF_AND_HALF,
        status=status,
        scope_kind="block_type",
        scope_value="contact_form",
        randomization_unit=unit,
    )


def arm_for(unit: str) -> str:
    """The arm the experiment's 50/50 split gives this hash input (docs/hashing.md)."""
    n = hash_unit(experiment_seed(KEY, 1), unit, 2)
    assert n is not None
    return "control" if n < 0.5 else "personalized"


def shown_arms(visitor_id: str) -> list[str]:
    """The arms of the visitor's exposures to the experiment, oldest first."""
    exposure_writer.flush()
    return list(
        Event.objects.filter(type="exposure", experiment=KEY, visitor_id=visitor_id)
        .order_by("occurred_at")
        .values_list("arm", flat=True)
    )


# --- links from what the site learns ------------------------------------------------------


@pytest.mark.django_db
def test_a_contact_form_work_email_links_the_visitor_to_its_company() -> None:
    [jo] = visitor_ids(1, seed=1)
    submit_contact(visitor(jo), "jo@Acme-Robotics.com")
    link = VisitorAccountLink.objects.get(visitor_id=jo)
    assert link.account.domain == "acme-robotics.com"
    assert link.provenance == Provenance.WORK_EMAIL
    lead = Lead.objects.get(visitor_id=jo)
    assert link.source_detail == f"lead {lead.pk}"
    assert account_of_visitor(jo) == link.account
    assert account_for_email("sam@ACME-ROBOTICS.COM") == link.account
    # A second lead from the same visitor and company adds no second link.
    submit_contact(visitor(jo), "jo.other@acme-robotics.com")
    assert VisitorAccountLink.objects.filter(visitor_id=jo).count() == 1


@pytest.mark.django_db
def test_the_typed_company_names_a_new_account_and_never_renames_a_known_one() -> None:
    jo, sam = visitor_ids(2, seed=5)
    submit_contact(visitor(jo), "jo@acme-robotics.com", company="Acme Robotics GmbH")
    account = Account.objects.get(domain="acme-robotics.com")
    assert account.name == "Acme Robotics GmbH"
    submit_contact(visitor(sam), "sam@acme-robotics.com", company="acme")
    account.refresh_from_db()
    assert account.name == "Acme Robotics GmbH"


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["jo@gmail.com", "jo@guerrillamail.com", "jo@eu.mailinator.com"])
def test_free_mail_and_disposable_domains_never_make_an_account(email: str) -> None:
    [jo] = visitor_ids(1, seed=2)
    submit_contact(visitor(jo), email)
    assert Lead.objects.filter(visitor_id=jo).count() == 1  # the lead itself is kept
    assert not Account.objects.exists()
    assert not VisitorAccountLink.objects.exists()
    assert account_for_email(email) is None


@pytest.mark.django_db
def test_no_link_without_consent_to_measurement() -> None:
    [jo] = visitor_ids(1, seed=3)
    submit_contact(visitor(jo, ConsentState.DENIED), "jo@acme-robotics.com")
    assert Lead.objects.count() == 1
    assert not VisitorAccountLink.objects.exists()


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("jo@acme.com", "acme.com"),
        (" Jo@Sub.Acme.COM. ", "sub.acme.com"),
        ("jo@bücher.de", "xn--bcher-kva.de"),
        ("jo@gmail.com", ""),
        ("jo@googlemail.com", ""),
        ("jo@proton.me", ""),
        ("jo@10minutemail.com", ""),
        ("no-at-sign.com", ""),
        ("@acme.com", ""),
        ("jo@localhost", ""),
        ("jo@acme..com", ""),
        ("jo@ac me.com", ""),
        ("jo@" + "a" * 64 + ".com", ""),
    ],
)
def test_company_domain_of_an_address(value: str, domain: str) -> None:
    assert company_domain(domain_of_email(value)) == domain


@pytest.mark.django_db
def test_precedence_most_authoritative_provenance_then_earliest() -> None:
    jo = "a" * 32
    link_firmographic(jo, "example-cloud.example", company="Example Cloud", industry="saas")
    assert account_of_visitor(jo).domain == "example-cloud.example"  # type: ignore[union-attr]
    link_work_email(jo, "jo@acme.com")
    assert account_of_visitor(jo).domain == "acme.com"  # type: ignore[union-attr]
    link_crm(jo, "globex.com", record="contact 7")
    assert account_of_visitor(jo).domain == "globex.com"  # type: ignore[union-attr]
    link_signed_in_org(jo, "initech.com", organisation="Initech")
    assert account_of_visitor(jo).domain == "initech.com"  # type: ignore[union-attr]
    link_work_email(jo, "jo@later.com")  # a later work email does not displace acme.com
    assert {link.provenance for link in VisitorAccountLink.objects.filter(visitor_id=jo)} == {
        p.value for p in Provenance
    }
    cloud = Account.objects.get(domain="example-cloud.example")
    assert (cloud.name, cloud.industry) == ("Example Cloud", "saas")
    assert link_visitor("", "acme.com", Provenance.CRM) is None
    assert account_of_visitor("") is None
    link = VisitorAccountLink.objects.filter(provenance=Provenance.CRM).get()
    assert str(link) == f"{jo} → globex.com (crm)"
    assert str(cloud) == "Example Cloud"
    assert str(Account(domain="unnamed.example")) == "unnamed.example"


CLOUD_IP = "198.51.100.7"  # the demo firmographic CSV: Example Cloud Software, saas


@pytest.mark.django_db
def test_the_firmographic_company_becomes_the_account_on_the_first_page_view() -> None:
    client = with_consent(Client(), ConsentState.GRANTED)
    assert client.get("/", REMOTE_ADDR=CLOUD_IP).status_code == 200
    link = VisitorAccountLink.objects.get()
    assert link.provenance == Provenance.FIRMOGRAPHIC
    account = link.account
    assert (account.domain, account.name, account.industry) == (
        "cloud-software.example",
        "Example Cloud Software",
        "saas",
    )
    conf = config()
    signals = decode_signals(
        client.cookies[conf.signals_cookie_name].value, conf.signals_cookie_max_age
    )
    assert signals is not None
    assert link.visitor_id == signals.visitor_id
    with CaptureQueriesContext(connection) as later:
        assert client.get("/contact/", REMOTE_ADDR=CLOUD_IP).status_code == 200
    assert not [q for q in later.captured_queries if "persx_accounts" in q["sql"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("consent", "address"),
    [(ConsentState.DENIED, CLOUD_IP), (ConsentState.GRANTED, "127.0.0.1")],
)
def test_no_firmographic_link_without_consent_or_a_known_network(
    consent: ConsentState, address: str
) -> None:
    assert with_consent(Client(), consent).get("/", REMOTE_ADDR=address).status_code == 200
    assert not VisitorAccountLink.objects.exists()


@pytest.mark.django_db
def test_a_visitor_from_a_known_network_gets_the_account_arm_from_the_first_exposure() -> None:
    account_experiment()
    domain = "cloud-software.example"
    jo = next(v for v in visitor_ids(40, seed=9) if arm_for(v) != arm_for(domain))
    client = visitor(jo)
    client.get("/contact/", REMOTE_ADDR=CLOUD_IP)
    client.get("/contact/", REMOTE_ADDR=CLOUD_IP)
    assert shown_arms(jo) == [arm_for(domain)] * 2
    assert not ExperimentUnitPin.objects.exists()


# --- privacy -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_and_erasure_cover_account_links() -> None:
    jo, sam = visitor_ids(2, seed=4)
    client = visitor(jo)
    submit_contact(client, "jo@acme-robotics.com")
    submit_contact(visitor(sam), "sam@acme-robotics.com")
    link_work_email(jo, "jo@initech.com")  # an account only Jo is linked to
    ExperimentUnitPin.objects.create(
        experiment_key=KEY,
        visitor_id=jo,
        unit_id=jo,
        pinned_at=timezone.now(),
    )

    exported = client.get("/api/personalization/export").json()["account_links"]
    assert sorted(link["account_domain"] for link in exported["links"]) == [
        "acme-robotics.com",
        "initech.com",
    ]
    assert {link["provenance"] for link in exported["links"]} == {"work_email"}
    assert exported["pinned_experiment_units"][0]["experiment"] == KEY

    client.get("/api/personalization")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.delete("/api/personalization", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json()["erased"]["account_links"] == 3  # two links, one pin
    assert not VisitorAccountLink.objects.filter(visitor_id=jo).exists()
    assert not ExperimentUnitPin.objects.exists()
    # Sam's company stays (Sam is still linked); Initech was known only through Jo.
    assert list(Account.objects.values_list("domain", flat=True)) == ["acme-robotics.com"]
    assert account_of_visitor(sam).domain == "acme-robotics.com"  # type: ignore[union-attr]
    assert erase_links(frozenset()) == 0
    assert AccountLinksHeld().visitor_ids_for_email("sam@acme-robotics.com") == set()


# --- account-level assignment --------------------------------------------------------------


@pytest.mark.django_db
def test_every_visitor_of_an_account_is_shown_the_accounts_arm() -> None:
    account_experiment()
    by_account: dict[str, set[str]] = {}
    visitors = visitor_ids(24, seed=5)
    for i, visitor_id in enumerate(visitors):
        domain = f"company-{i % 6}.example"
        link_work_email(visitor_id, f"person{i}@{domain}")
        assert visitor(visitor_id).get("/contact/").status_code == 200
        by_account.setdefault(domain, set()).update(shown_arms(visitor_id))
    assert by_account == {domain: {arm_for(domain)} for domain in by_account}
    assert {arm for arms in by_account.values() for arm in arms} == {"control", "personalized"}
    assert contamination_of(KEY).split_accounts == 0


@pytest.mark.django_db
def test_a_visitor_unit_experiment_splits_colleagues() -> None:
    account_experiment(unit="visitor")
    visitors = visitor_ids(12, seed=6)
    for visitor_id in visitors:
        link_work_email(visitor_id, f"{visitor_id[:6]}@acme.com")
        visitor(visitor_id).get("/contact/")
    shown = {visitor_id: shown_arms(visitor_id) for visitor_id in visitors}
    assert shown == {visitor_id: [arm_for(visitor_id)] for visitor_id in visitors}
    assert contamination_of(KEY).split_accounts == 1  # the visitor unit does not protect


@pytest.mark.django_db
def test_a_visitor_who_becomes_known_mid_experiment_keeps_their_arm() -> None:
    account_experiment()
    domain = "acme-robotics.com"
    # A visitor whose own hash and their company's hash give different arms.
    jo = next(v for v in visitor_ids(40, seed=7) if arm_for(v) != arm_for(domain))
    client = visitor(jo)
    client.get("/contact/")
    assert shown_arms(jo) == [arm_for(jo)]  # unknown: their own id decides

    submit_contact(client, f"jo@{domain}")  # now known: Acme Robotics
    assert account_of_visitor(jo).domain == domain  # type: ignore[union-attr]
    assert units_of_visitor(jo).pinned == ((KEY, jo),)
    client.get("/contact/")
    client.get("/contact/")
    assert shown_arms(jo) == [arm_for(jo)] * 3  # sticky

    # A colleague known before their first visit gets the account's arm.
    [sam] = [v for v in visitor_ids(41, seed=7) if v != jo][-1:]
    link_work_email(sam, f"sam@{domain}")
    visitor(sam).get("/contact/")
    assert shown_arms(sam) == [arm_for(domain)]
    assert not ExperimentUnitPin.objects.filter(visitor_id=sam).exists()
    assert str(ExperimentUnitPin.objects.get()) == f"{KEY}: {jo} → {jo}"

    counted = contamination_of(KEY)
    assert (counted.accounts, counted.split_accounts) == (1, 1)
    assert (counted.visitors_in_accounts, counted.visitors_in_split_accounts) == (2, 2)
    assert counted.visitors_off_account_arm == 1
    assert counted.split_account_share == 1.0
    assert counted.off_arm_share == 0.5


@pytest.mark.django_db
def test_a_visitor_linked_before_any_exposure_is_not_pinned() -> None:
    account_experiment()
    [jo] = visitor_ids(1, seed=8)
    link_work_email(jo, "jo@acme.com")
    assert units_of_visitor(jo).pinned == ()
    assert units_of_visitor("").account_key == ""


def test_contamination_counts_from_rows() -> None:
    rows = [
        ("acme.com", "v1", "control"),
        ("acme.com", "v2", "control"),
        ("acme.com", "v3", "personalized"),
        ("globex.com", "v4", "personalized"),
        ("initech.com", "v5", "control"),
        ("initech.com", "v6", "personalized"),  # a tie: the alphabetically first arm is kept
    ]
    counted = count_contamination(rows)
    assert counted.accounts == 3
    assert counted.split_accounts == 2
    assert counted.visitors_in_accounts == 6
    assert counted.visitors_in_split_accounts == 5
    assert counted.visitors_off_account_arm == 2
    empty = count_contamination([])
    assert (empty.split_account_share, empty.off_arm_share) == (0.0, 0.0)


# --- the admin form ------------------------------------------------------------------------


def unit_form(unit: str | None, **overrides: Any) -> dict[str, Any]:
    return form_data(randomization_unit=unit, **overrides)


@pytest.mark.django_db
def test_the_unit_is_chosen_in_the_admin_and_locked_once_started(admin_client: Client) -> None:
    add = "/cms/snippets/persx_experiments/experiment/add/"
    page = admin_client.get(add)
    assert b"Randomization unit" in page.content
    assert b"Account (company)" in page.content
    assert admin_client.post(add, unit_form("account")).status_code == 302
    experiment = Experiment.objects.get(key="contact-pli")
    assert experiment.randomization_unit == "account"

    url = edit_url(experiment)
    errors = field_errors(admin_client.post(url, unit_form("household")))
    assert "randomization_unit" in errors
    assert admin_client.post(url, unit_form("visitor")).status_code == 302  # draft: free
    assert admin_client.post(url, unit_form("account", status="running")).status_code == 302

    edit = admin_client.get(url).text
    assert "Locked: this experiment has run" in edit
    radios = re.findall(r'<input[^>]*name="randomization_unit"[^>]*>', edit)
    assert len(radios) == 2
    assert all(" disabled " in radio for radio in radios)
    assert admin_client.post(url, unit_form("visitor", status="running")).status_code == 302
    experiment.refresh_from_db()
    assert experiment.randomization_unit == "account"  # locked: the post did not move it


@pytest.mark.django_db
def test_a_form_without_the_unit_keeps_the_visitor_default(admin_client: Client) -> None:
    add = "/cms/snippets/persx_experiments/experiment/add/"
    assert admin_client.post(add, unit_form(None)).status_code == 302
    assert Experiment.objects.get(key="contact-pli").randomization_unit == "visitor"
