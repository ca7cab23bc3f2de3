"""The page editor's own check of the admin's field limit (persx/http/field_limit.py)."""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from wagtail import hooks


def editor_field_limit_js() -> SafeString:
    """Counts the fields an edit form would send before it is sent; over the limit the save
    stops with a message and the form keeps what the editor typed."""
    return format_html(
        '<script src="{}" data-max-fields="{}" defer></script>',
        static("persx/admin/field_limit.js"),
        int(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS),
    )


hooks.register("insert_editor_js", editor_field_limit_js)
