"""Template filters that turn keys into the names people use (the key goes in a tooltip).

``{{ key|audience_name }}``, ``{{ code|reason_name }}`` and ``{{ type|block_name }}`` give
the name; ``{% named "audience" key %}`` gives
``<span title="key">Name</span>``.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from persx.personalization import plain_names

register = template.Library()


@register.filter
def audience_name(key: str | None) -> str:
    return plain_names.audience_name(key)


@register.filter
def reason_name(code: str | None) -> str:
    return plain_names.reason_name(code)


@register.filter
def block_name(block_type: str | None) -> str:
    return plain_names.block_name(block_type)


@register.simple_tag
def named(kind: str, key: str | None) -> SafeString:
    """The name of ``key`` with the key itself as the tooltip (``title``)."""
    return plain_names.named_html(kind, key)
