"""`make loadtest`: locust against the production setup, with faults (docs/operations.md)."""
