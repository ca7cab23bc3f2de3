"""A test-only app: a personalizable page type the site does not have (installed by
``persx.settings.test`` only), for the content inventory's test (tests/web/test_inventory.py)."""
