"""The public JSON API (OpenAPI at /api/docs)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from persx.catalog.api import router as catalog_router
from persx.events.api import router as events_router
from persx.headless.api import router as decisions_router
from persx.headless.openapi_choices import document_decision_choices
from persx.http.csp_report import router as csp_report_router
from persx.http.errors import ERROR_MEANINGS, install_error_handlers
from persx.outcomes.api import router as outcomes_router
from persx.privacy.api import router as privacy_router
from persx.profiles.api import document_catalog_choices
from persx.profiles.api import router as profile_router

# What any operation can answer: a method its path does not answer
# (``persx.http.method_not_allowed``) and the database unreachable
# (``persx.http.database_unavailable``).
EVERY_OPERATION_STATUSES = (405, 503)


class PersxAPI(NinjaAPI):
    """The API whose OpenAPI document says what each error status means, and lists
    :data:`EVERY_OPERATION_STATUSES` on every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        document_catalog_choices(schema)  # the enums PUT /api/personalization enforces
        document_decision_choices(schema)  # the pages, blocks and slugs POST /api/decisions takes
        error_schema = {"$ref": "#/components/schemas/ApiError"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                # One entry per status: django-ninja keys its responses by int, an
                # operation's openapi_extra by str; both in one dict would be the same JSON
                # key twice, which Swagger UI's parser refuses (the docs page then lists
                # nothing). The entries are merged; the operation's own text wins.
                merged: dict[str, Any] = {}
                for code, response in operation.get("responses", {}).items():
                    merged.setdefault(str(code), {}).update(response)
                operation["responses"] = merged
                for code in EVERY_OPERATION_STATUSES:
                    operation["responses"].setdefault(
                        str(code),
                        {
                            "description": "",
                            "content": {"application/json": {"schema": error_schema}},
                        },
                    )
                for code, response in operation.get("responses", {}).items():
                    meaning = ERROR_MEANINGS.get(int(code))
                    if meaning:
                        response["description"] = meaning
        return schema


api = PersxAPI(
    title="PersX API",
    version="1",
    description="Visitor personalization state and catalog. Errors: {message, detail[]}.",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", profile_router)
api.add_router("/", catalog_router)
api.add_router("/", events_router)
api.add_router("/", privacy_router)
api.add_router("/", csp_report_router)
api.add_router("/", outcomes_router)
api.add_router("/", decisions_router)
