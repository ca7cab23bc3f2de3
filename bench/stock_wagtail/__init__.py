"""A stock Wagtail project (what ``wagtail start`` generates, no PersX code), serving the
PersX demo site's text as plain StreamField pages: the baseline of the worker memory and
start-time bench (bench/worker_memory.py)."""
