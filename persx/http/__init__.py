"""Request-level pieces every app may use: the API error shape, the API body limit,
same-site redirects and what a request knows about its visitor. Imports nothing above
``persx.config`` and the engine (the ``layers`` contract in pyproject.toml)."""
