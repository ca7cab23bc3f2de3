"""The visitors the CRM knows something about, as one SQL subquery, so that the reports can
aggregate everyone else by count (docs/scaling.md, "Reports at 1 M and 10 M events").

A visitor's pipeline metrics (:mod:`persx.outcomes.pipeline_metrics`) differ from zero, and
their account from "an account of one", only when the visitor has a link to an account
(``persx.accounts``), a lead (whose work domain may name the account) or a matched outcome
of their own. :data:`CRM_VISITORS_SQL` selects the ids of those visitors (each once); it has
no parameters and reads only the three small tables, so a caller can join an experiment's
exposures to it and count all the other visitors in SQL. The set is a superset of the
visitors that carry pipeline: a visitor with a lead and no outcome is in it and counts zero.
"""

from __future__ import annotations

from persx.accounts.models import VisitorAccountLink
from persx.leads.models import Lead
from persx.outcomes.models import MatchStatus, Outcome

_LINKS = VisitorAccountLink._meta.db_table
_LEADS = Lead._meta.db_table
_OUTCOMES = Outcome._meta.db_table
_MATCHED = MatchStatus.MATCHED.value  # a constant of the code: the only value inlined

CRM_VISITORS_SQL = f"""
SELECT visitor_id FROM {_LINKS}
UNION
SELECT visitor_id FROM {_LEADS} WHERE visitor_id <> ''
UNION
SELECT visitor_id FROM {_OUTCOMES} WHERE match_status = '{_MATCHED}' AND visitor_id <> ''
"""
