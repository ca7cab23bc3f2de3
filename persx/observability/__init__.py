"""Live process metrics (Prometheus): the metric objects and the cheap ``record_*`` functions
every layer may call. A low layer: imports nothing from ``persx`` but ``persx.config``.
Exposition (``GET /metrics``), the health model and alerts live in ``persx.monitoring``."""
