"""The event store port: where raw events are appended and reports' statistics computed.

Two adapters (``docs/scaling.md``): the relational store (PostgreSQL, SQLite for the demo:
the events table written by :mod:`persx.events`, statistics from the rollups of
:mod:`persx.analytics`) and the columnar store (ClickHouse: raw events in a MergeTree
table, statistics computed in ClickHouse SQL at query time). ``PERSX['EVENT_STORE']``
selects one (:mod:`persx.eventstore.selection`).
"""
