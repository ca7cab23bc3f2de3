"""manage.py persx_import_outcomes with real CRM export files (HubSpot deals, Salesforce
opportunities under tests/web/data/) and bad files written to tmp_path; the match report
and manage.py persx_outcomes_match."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from persx.leads.models import Lead
from persx.outcomes.match_report import match_report
from persx.outcomes.models import Integration, Outcome
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import OutcomeRecord
from tests.web.analytics_events import EventLog

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
HUBSPOT = DATA / "outcomes_hubspot_deals.csv"
SALESFORCE = DATA / "outcomes_salesforce_opportunities.csv"
EXPOSED_AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def site_visitors() -> None:
    """Two visitors who left a lead and saw an experiment on 1 October 2026."""
    Lead.objects.create(name="Ada", email="Ada@Acme-Industries.com", visitor_id="v-ada")
    Lead.objects.create(name="Bob", email="bob@globex.example", visitor_id="v-bob")
    EventLog().exposure("v-ada", EXPOSED_AT).exposure("v-bob", EXPOSED_AT).save()


def run(*args: str) -> str:
    out = StringIO()
    call_command("persx_import_outcomes", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


def test_a_hubspot_deal_export_is_imported_and_a_rerun_changes_nothing(
    site_visitors: None,
) -> None:
    output = run(str(HUBSPOT), "--mapping", "hubspot")
    assert "4 rows; stored 4 new outcomes (2 matched), 0 unchanged" in output
    assert "2 of 4 outcomes matched (50.0%): 1 to a visitor, 1 to an account only" in output
    stored = {o.record_id: o for o in Outcome.objects.filter(integration__name="hubspot")}
    assert sorted(o.outcome_id for o in stored.values()) == [
        "9001:won",
        "9002:opportunity",
        "9003:qualified_lead",
        "9004:lost",
    ]
    won = stored["9001"]
    assert (won.stage, won.amount, won.currency) == ("won", Decimal("24000.00"), "EUR")
    assert won.occurred_at == datetime(2026, 11, 3, 14, 22, tzinfo=UTC)
    assert (won.visitor_id, won.account, won.match_reason) == (
        "v-ada",
        "acme-industries.com",
        "email",
    )
    assert (stored["9002"].stage, stored["9002"].match_reason) == ("opportunity", "account")
    assert (stored["9003"].stage, stored["9003"].amount) == ("qualified_lead", None)
    assert stored["9004"].stage == "lost"  # HubSpot's internal id "closedlost"
    assert stored["9004"].occurred_at == datetime(2026, 11, 15, tzinfo=UTC)  # US date

    again = run(str(HUBSPOT), "--mapping", "hubspot")
    assert "stored 0 new outcomes (0 matched), 4 unchanged" in again
    assert Outcome.objects.count() == 4


def test_a_salesforce_opportunity_export_is_imported(site_visitors: None) -> None:
    output = run(str(SALESFORCE), "--mapping", "salesforce", "--integration", "sfdc")
    assert "3 rows; stored 3 new outcomes (1 matched)" in output
    acme = Outcome.objects.get(outcome_id="0065g00000AbCdE:opportunity")
    assert (acme.stage, acme.amount, acme.currency) == ("opportunity", Decimal("31500"), "USD")
    assert acme.account_domain == "acme-industries.com"  # from https://www.acme-industries.com
    assert acme.integration.name == "sfdc"
    stark = Outcome.objects.get(record_id="0065g00000AbCdG")
    assert (stark.stage, stark.match_reason) == ("qualified_lead", "account_unknown")


def test_dry_run_stores_nothing(site_visitors: None) -> None:
    output = run(str(HUBSPOT), "--mapping", "hubspot", "--dry-run")
    assert "would store 4 new outcomes" in output
    assert Outcome.objects.count() == 0


HEADER = "Deal ID,Deal Stage,Amount,Deal currency code,Close Date,Associated Contact email\n"
GOOD = "1,Closed Won,100,EUR,2026-11-03,ada@acme-industries.com\n"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2,Closed Maybe,100,EUR,2026-11-03,x@y.com", "row 3, column 'Deal Stage' (stage): "),
        ("2,Closed Won,-5,EUR,2026-11-03,x@y.com", "row 3, column 'Amount' (amount): "),
        ("2,Closed Won,2000000000,EUR,2026-11-03,x@y.com", "row 3, column 'Amount' (amount): "),
        ("2,Closed Won,100,EURO,2026-11-03,x@y.com", "column 'Deal currency code' (currency)"),
        ("2,Closed Won,100,EUR,2099-01-01,x@y.com", "row 3, column 'Close Date' (occurred_at): "),
        ("2,Closed Won,100,EUR,yesterday,x@y.com", "row 3, column 'Close Date' (occurred_at): "),
        (
            "2,Closed Won,100,EUR,2026-09-01,ada@acme-industries.com",
            "row 3, column 'Close Date' (occurred_at): 2026-09-01T00:00:00+00:00 is before "
            "the matched visitor's first exposure",
        ),
        (
            "1,Closed Won,999,EUR,2026-11-03,ada@acme-industries.com",
            "row 3, column 'Amount' (amount): outcome '1:won' is also in row 2 with another amount",
        ),
        ("2,Closed Won,100,EUR,2026-11-03,", "row 3, lead_id: give at least one of"),
    ],
)
def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_stored(
    site_visitors: None, tmp_path: Path, row: str, problem: str
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + GOOD + row + "\n")
    message = refused(str(path), "--mapping", "hubspot")
    assert "1 problems; nothing was stored." in message
    assert problem in message, message
    assert Outcome.objects.count() == 0


def test_a_changed_row_on_rerun_is_refused_naming_the_field(
    site_visitors: None, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + GOOD)
    run(str(path), "--mapping", "hubspot")
    path.write_text(HEADER + GOOD.replace(",100,", ",150,"))
    message = refused(str(path), "--mapping", "hubspot")
    assert "row 2, column 'Amount' (amount): outcome '1:won' is already stored" in message
    assert Outcome.objects.get().amount == 100


def test_a_later_export_with_the_deal_further_on_adds_its_new_stage(
    site_visitors: None, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + GOOD.replace("Closed Won", "Contract Sent"))
    run(str(path), "--mapping", "hubspot")
    path.write_text(HEADER + GOOD)
    assert "stored 1 new outcomes (1 matched), 0 unchanged" in run(
        str(path), "--mapping", "hubspot"
    )
    stages = Outcome.objects.filter(record_id="1").values_list("outcome_id", "stage")
    assert sorted(stages) == [("1:opportunity", "opportunity"), ("1:won", "won")]


def test_missing_columns_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Deal ID,Amount\n1,100\n")
    message = refused(str(path), "--mapping", "hubspot")
    assert "row 1 (header): missing columns for stage: one of 'Deal Stage'" in message
    path.write_text(HEADER)
    assert "row 2: the file has no outcomes" in refused(str(path), "--mapping", "hubspot")
    assert "--currency: 'EURO'" in refused(str(path), "--currency", "EURO")
    assert "cannot read" in refused(str(tmp_path / "missing.csv"))


def test_a_file_of_2500_rows_is_stored_in_chunks_in_one_transaction(tmp_path: Path) -> None:
    rows = [f"d{n},opportunity,{n},EUR,2026-11-03,p{n}@example.org" for n in range(2500)]
    path = tmp_path / "big.csv"
    header = "outcome_id,stage,amount,currency,occurred_at,email\n"
    path.write_text(header + "\n".join(rows) + "\n")
    assert "stored 2500 new outcomes" in run(str(path), "--integration", "bulk")
    # One bad row in the last chunk: the first two chunks are not kept either.
    Outcome.objects.all().delete()
    rows[-1] = rows[-1].replace("opportunity", "maybe")
    path.write_text(header + "\n".join(rows) + "\n")
    assert "row 2501, column 'stage' (stage)" in refused(str(path), "--integration", "bulk")
    assert Outcome.objects.count() == 0


def test_the_match_report_says_why_outcomes_did_not_match(site_visitors: None) -> None:
    integration = Integration.objects.create(name="crm")
    ada_lead = Lead.objects.get(visitor_id="v-ada")
    no_visitor = Lead.objects.create(name="Cy", email="cy@initech.example")
    when = datetime(2026, 11, 1, tzinfo=UTC)
    keys: list[dict[str, object]] = [
        {"lead_id": ada_lead.pk},
        {"email": "BOB@globex.example"},
        {"account": "globex.example"},
        {"lead_id": 999_999},
        {"lead_id": no_visitor.pk},
        {"email": "nobody@nowhere.example"},
        {"account": "gmail.com"},
        {"account": "unknown-company.example"},
    ]
    records = [
        OutcomeRecord.model_validate(
            {"outcome_id": f"o{n}", "stage": "qualified_lead", "occurred_at": when, **key}
        )
        for n, key in enumerate(keys)
    ]
    assert check_and_store(integration, records).created == 8

    report = match_report("crm")
    assert (report.total, report.matched, report.to_visitor, report.to_account_only) == (
        8,
        3,
        2,
        1,
    )
    reasons = {r.reason: r.count for r in report.reasons}
    assert reasons == {
        "lead": 1,
        "email": 1,
        "account": 1,
        "no_such_lead": 1,
        "lead_without_visitor": 1,
        "email_never_seen": 1,
        "free_mail": 1,
        "account_unknown": 1,
    }
    assert report.as_json()["matched_share"] == pytest.approx(3 / 8)

    # A visitor first exposed after the outcome (exposure arriving later): a re-match
    # takes the credit away, and the command says so.
    Lead.objects.create(name="Di", email="di@hooli.example", visitor_id="v-di")
    store = check_and_store(
        integration,
        [
            OutcomeRecord.model_validate(
                {
                    "outcome_id": "late",
                    "stage": "won",
                    "occurred_at": when,
                    "email": "di@hooli.example",
                }
            )
        ],
    )
    assert store.matched == 1
    EventLog().exposure("v-di", when + timedelta(days=2)).save()
    out = StringIO()
    call_command("persx_outcomes_match", "--json", "--integration", "crm", stdout=out)
    document = json.loads(out.getvalue())
    assert document["changed"] == 1
    assert {"reason": "before_first_exposure", "count": 1}.items() <= next(
        r for r in document["reasons"] if r["reason"] == "before_first_exposure"
    ).items()
    out = StringIO()
    call_command("persx_outcomes_match", "--no-rematch", stdout=out)
    assert "4 of 9 outcomes matched" not in out.getvalue()
    assert "3 of 9 outcomes matched (33.3%)" in out.getvalue()


def test_accounts_of_persx_accounts_match_outcomes_and_give_a_visitors_account(
    site_visitors: None,
) -> None:
    """An account known to persx.accounts (no lead needed) matches an account-only outcome;
    a visitor's most authoritative account link wins over the lead's email domain."""
    from persx.accounts.models import Account, Provenance, VisitorAccountLink

    Account.objects.create(domain="initech.example", name="Initech")
    umbrella = Account.objects.create(domain="umbrella.example", name="Umbrella")
    VisitorAccountLink.objects.create(
        visitor_id="v-ada",
        account=umbrella,
        provenance=Provenance.SIGNED_IN_ORG,
        linked_at=EXPOSED_AT,
    )
    integration = Integration.objects.create(name="crm")
    when = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        {"account": "initech.example"},
        {"email": "ada@acme-industries.com"},
        {"account": "mailinator.com"},  # disposable: never an account
    ]
    records = [
        OutcomeRecord.model_validate(
            {"outcome_id": f"o{n}", "stage": "opportunity", "occurred_at": when, **key}
        )
        for n, key in enumerate(rows)
    ]
    assert check_and_store(integration, records).matched == 2
    stored = {o.outcome_id: o for o in Outcome.objects.all()}
    assert (stored["o0"].match_reason, stored["o0"].account) == ("account", "initech.example")
    assert (stored["o1"].visitor_id, stored["o1"].account) == ("v-ada", "umbrella.example")
    assert stored["o2"].match_reason == "free_mail"
