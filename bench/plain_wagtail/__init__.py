"""A plain Wagtail page type for `make bench` only (installed into the bench's database,
never into the site): the baseline the personalized pages are compared with."""
