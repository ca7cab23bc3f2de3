"""The PersX engine: pure-Python personalization and experimentation logic.

No Django, Wagtail, HTTP or LLM SDK imports (an import-linter contract checks this).
Everything here takes plain frozen dataclasses and returns plain frozen dataclasses;
time comes in through the small ports in :mod:`persx.engine.ports`.
"""
