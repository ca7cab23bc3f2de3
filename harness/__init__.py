"""Running the site's own server processes for the tests, the benchmarks and the load test."""
