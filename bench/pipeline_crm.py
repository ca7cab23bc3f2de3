"""CRM facts for the pipeline section at scale: leads, account links and outcomes for a
share of an experiment's visitors, made by PostgreSQL in a few statements.

The bench's generated history (``bench/postgresql_scale.py``) has exposures but no CRM, so
its pipeline section would have nothing but zeros. :func:`plant_crm` picks every visitor of
the experiment whose MD5 falls in the first ``per_mille`` of a thousand (about 1% by
default: B2B pipeline is rare) and gives each a lead at one of ``accounts`` company domains
(so several visitors share an account), a third of them a link to that account made before
their first exposure (the adjustment's company size), a qualified-lead outcome a day after
the exposure, four in ten an opportunity of 1,000-20,000 EUR on the same deal and a third
of those the deal won. Planted once: a second call finds the bench's integration and adds
nothing. The rows are ordinary rows (matched outcomes as the outcomes service stores them).
"""

from __future__ import annotations

INTEGRATION = "bench-crm"


def plant_crm(experiment: str = "pli-contact", per_mille: int = 10, accounts: int = 2000) -> int:
    """Plant the CRM facts (see the module) unless planted; the visitors with a lead."""
    from django.db import connection, transaction

    from persx.accounts.models import Account, VisitorAccountLink
    from persx.analytics.models import ExperimentVisitor
    from persx.leads.models import Lead
    from persx.outcomes.models import Integration, Outcome

    ev, leads = ExperimentVisitor._meta.db_table, Lead._meta.db_table
    outcomes, links = Outcome._meta.db_table, VisitorAccountLink._meta.db_table
    accounts_table = Account._meta.db_table
    if Integration.objects.filter(name=INTEGRATION).exists():
        return Lead.objects.filter(email__endswith=".bench.example").count()
    picked = (
        f"SELECT visitor_id, first_exposed_at, "
        f"('x' || substr(md5(visitor_id), 1, 8))::bit(32)::int AS h FROM {ev} "
        f"WHERE experiment = %s AND visitor_id <> '' "
        f"AND mod(abs(('x' || substr(md5(visitor_id), 9, 8))::bit(32)::int), 1000) < %s"
    )
    domain = f"'co' || mod(abs(p.h), {accounts}) || '.bench.example'"
    with transaction.atomic(), connection.cursor() as cursor:
        integration = Integration.objects.create(name=INTEGRATION)
        cursor.execute(
            f"INSERT INTO {accounts_table} (domain, name, industry, size, created_at) "
            f"SELECT 'co' || n || '.bench.example', '', '', "
            f"(ARRAY['1-10','11-50','51-200','201-1000'])[1 + mod(n, 4)], now() "
            f"FROM generate_series(0, {accounts - 1}) n"
        )
        cursor.execute(
            f"INSERT INTO {leads} (name, email, company, message, page, visitor_id, industry, "
            f"persona, variant, created_at) "
            f"SELECT p.visitor_id, p.visitor_id || '@' || {domain}, '', '', '/contact/', "
            f"p.visitor_id, '', '', '', p.first_exposed_at + interval '1 hour' "
            f"FROM ({picked}) p",
            [experiment, per_mille],
        )
        planted = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {links} (visitor_id, account_id, provenance, source_detail, "
            f"linked_at) "
            f"SELECT p.visitor_id, a.id, 'firmographic', 'bench', "
            f"p.first_exposed_at - interval '1 day' "
            f"FROM ({picked}) p JOIN {accounts_table} a ON a.domain = {domain} "
            f"WHERE mod(abs(p.h), 3) = 0",
            [experiment, per_mille],
        )
        deal = (
            f"INSERT INTO {outcomes} (integration_id, outcome_id, record_id, stage, amount, "
            f"currency, occurred_at, lead_id, email, account_domain, visitor_id, account, "
            f"match_status, match_reason, matched_at, received_at) "
            f"SELECT %s, %s || '-' || l.visitor_id, 'deal-' || l.visitor_id, %s, {{amount}}, "
            f"{{currency}}, p.first_exposed_at + %s * interval '1 day', l.id, l.email, '', "
            f"l.visitor_id, split_part(l.email, '@', 2), 'matched', 'lead', now(), now() "
            f"FROM ({picked}) p JOIN {leads} l ON l.visitor_id = p.visitor_id "
            f"WHERE {{where}}"
        )
        value = "(1000 + 1000 * mod(abs(p.h), 20))::numeric"
        for stage, days, amount, where in (
            ("qualified_lead", 1, "NULL", "true"),
            ("opportunity", 3, value, "mod(abs(p.h / 7), 10) < 4"),
            ("won", 10, value, "mod(abs(p.h / 7), 10) < 4 AND mod(abs(p.h / 11), 3) = 0"),
        ):
            cursor.execute(
                deal.format(
                    amount=amount, currency="''" if amount == "NULL" else "'EUR'", where=where
                ),
                [integration.pk, stage, stage, days, experiment, per_mille],
            )
        cursor.execute(f"ANALYZE {leads}")
        cursor.execute(f"ANALYZE {outcomes}")
        cursor.execute(f"ANALYZE {links}")
    return planted
