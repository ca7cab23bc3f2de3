"""Tests of persx.engine.statistics."""
