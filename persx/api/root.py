"""The public JSON API (OpenAPI at /api/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from persx.catalog.api import router as catalog_router
from persx.events.api import router as events_router
from persx.http.errors import install_error_handlers
from persx.profiles.api import router as profile_router

api = NinjaAPI(
    title="PersX API",
    version="1",
    description="Visitor personalization state and catalog. Errors: {message, detail[]}.",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", profile_router)
api.add_router("/", catalog_router)
api.add_router("/", events_router)
