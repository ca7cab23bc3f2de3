"""Pipeline outcomes from the CRM (qualified lead, opportunity, won, lost), matched to the
visitors and accounts the site knows, and the pipeline metrics the reports show
(docs/outcomes.md)."""
