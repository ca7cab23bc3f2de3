"""Wagtail's app configs for images, documents, snippets and redirects, without its v3 API.

Wagtail 8's own ``ready()`` of these four apps also builds its v3 read/write API (a django-
ninja API with a pydantic schema for every page, snippet, image and document model, and
Django REST framework through the redirects' v2 API package): about a quarter of a
management command's start. PersX serves neither API (``wagtail.api.v3`` is not installed
and no URL mounts it), so these configs do what Wagtail's ``ready()`` does minus the API:
the same registrations, in the same order, and the snippets' hooks are searched at start as
Wagtail's own ``ready()`` does, so every snippet (and its reference index) is registered
before a command runs. tests/deploy/test_command_start.py checks each registration and
that Wagtail's ``ready()`` is still the one copied here (a Wagtail upgrade fails it).
"""

from __future__ import annotations

from django.db.models import ForeignKey
from django.db.models.signals import post_migrate
from wagtail.contrib.redirects.apps import WagtailRedirectsAppConfig
from wagtail.documents.apps import WagtailDocsAppConfig
from wagtail.images.apps import WagtailImagesAppConfig
from wagtail.snippets.apps import WagtailSnippetsAppConfig


class ImagesWithoutApiConfig(WagtailImagesAppConfig):
    def ready(self) -> None:
        from wagtail.admin.compare import register_comparison_class
        from wagtail.admin.forms.models import register_form_field_override
        from wagtail.admin.ui.fields import register_display_class
        from wagtail.images import get_image_model, get_permission_policy
        from wagtail.images.components import ImageDisplay
        from wagtail.images.edit_handlers import ImageFieldComparison
        from wagtail.images.signal_handlers import register_signal_handlers
        from wagtail.images.widgets import AdminImageChooser
        from wagtail.models.reference_index import ReferenceIndex
        from wagtail.permissions import register_permission_policy

        image = get_image_model()
        register_permission_policy(image, get_permission_policy())
        register_signal_handlers()
        register_form_field_override(ForeignKey, to=image, override={"widget": AdminImageChooser})
        register_comparison_class(ForeignKey, to=image, comparison_class=ImageFieldComparison)
        register_display_class(ForeignKey, to=image, display_class=ImageDisplay)
        ReferenceIndex.register_model(image)


class DocumentsWithoutApiConfig(WagtailDocsAppConfig):
    def ready(self) -> None:
        from wagtail.admin.ui.fields import register_display_class
        from wagtail.documents import get_document_model, get_permission_policy
        from wagtail.documents.components import DocumentDisplay
        from wagtail.documents.signal_handlers import register_signal_handlers
        from wagtail.models.reference_index import ReferenceIndex
        from wagtail.permissions import register_permission_policy

        document = get_document_model()
        register_permission_policy(document, get_permission_policy())
        register_signal_handlers()
        register_display_class(ForeignKey, to=document, display_class=DocumentDisplay)
        ReferenceIndex.register_model(document)


class SnippetsWithoutApiConfig(WagtailSnippetsAppConfig):
    def ready(self) -> None:
        from wagtail.snippets.models import (
            create_extra_permissions,
            get_snippet_models,
            register_deferred_snippets,
        )

        register_deferred_snippets()
        post_migrate.connect(create_extra_permissions, sender=self)
        get_snippet_models()  # searches every app's wagtail_hooks, as Wagtail's ready() does


class RedirectsWithoutApiConfig(WagtailRedirectsAppConfig):
    def ready(self) -> None:
        from wagtail.contrib.redirects.models import Redirect
        from wagtail.contrib.redirects.signal_handlers import (
            autocreate_redirects_on_page_move,
            autocreate_redirects_on_slug_change,
        )
        from wagtail.permissions import register_permission_policy
        from wagtail.signals import page_slug_changed, post_page_move

        register_permission_policy(Redirect)
        post_page_move.connect(autocreate_redirects_on_page_move)
        page_slug_changed.connect(autocreate_redirects_on_slug_change)
