"""Tests of persx.engine.stats."""
