"""Issue 15: the sign-in page. Both boxes styled alike (the password box was unstyled beside
a full-width username field) and the page does not say "Signed in" before one has signed
in; screenshots at desktop and phone widths (test-artifacts/screenshots/sign-in-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import MakeContext, screenshot

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_the_sign_in_form_s_two_boxes_look_alike(make_context: MakeContext, width: str) -> None:
    page = make_context(**VIEWPORTS[width]).new_page()
    page.goto("/accounts/login/?next=/contact/")
    form = page.get_by_test_id("login-form")
    username, password = form.get_by_label("Username"), form.get_by_label("Password")
    expect(password).to_be_visible()
    boxes = [username.bounding_box(), password.bounding_box()]
    assert boxes[0] is not None
    assert boxes[1] is not None
    assert boxes[0]["width"] == boxes[1]["width"], boxes
    assert boxes[0]["height"] == boxes[1]["height"], boxes
    assert boxes[0]["x"] == boxes[1]["x"], boxes
    expect(page.locator("main")).not_to_contain_text("Signed in")
    screenshot(page, f"sign-in-{width}.png")
