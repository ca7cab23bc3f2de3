"""Alerting: when a health measure is evidence of a problem, and an incident's life."""
