"""Hostile request shapes are refused with a 400 before any work is done."""

from __future__ import annotations

import pytest
from django.test import Client

from persx.catalog.repository import current_catalog
from persx.profiles.models import VisitorProfileRecord


@pytest.mark.django_db
@pytest.mark.parametrize("count", [201, 1000])
def test_too_many_query_parameters_get_a_400_and_write_nothing(count: int) -> None:
    query = "&".join(f"p{i}=x" for i in range(count)) + "&industry=saas"
    response = Client(raise_request_exception=False).get(f"/contact/?{query}")
    assert response.status_code == 400
    assert not response.cookies.get("persx_profile")
    assert not VisitorProfileRecord.objects.exists()


@pytest.mark.django_db
def test_the_start_form_with_every_goal_and_tool_is_well_within_the_limit() -> None:
    catalog = current_catalog()
    fields = [("industry", "saas"), ("role", "Head of growth"), ("next", "/")]
    fields += [("tools", t.slug) for t in catalog.tools]
    fields += [("goals", g.slug) for g in catalog.goals[:5]]
    response = Client().post("/start/", dict_of_lists(fields))
    assert response.status_code == 302  # a full, valid form is far below the limit


def dict_of_lists(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out
