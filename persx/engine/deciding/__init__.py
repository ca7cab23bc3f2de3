"""Deciding what a visitor sees.

Audience keys, variant selection, schedules, experiment assignment and the
per-page decision budget.
"""
