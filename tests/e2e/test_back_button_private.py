"""On a shared computer, the back button after signing out must not bring back the last person's pages
(issue 8, item 11: private pages are sent with Cache-Control: no-store).

Playwright turns Chromium's back/forward cache off by default; a person's browser has it on, and it is
what would show a page kept in memory. This test's browser keeps it on.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_accessibility import send, sign_in
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory


@pytest.fixture()
def everyday_page(browser, live_server, db):
    """A page in a Chromium that, like a person's, keeps pages for the back button."""
    playwright_browser = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, ignore_default_args=["--disable-back-forward-cache"])
    context = playwright_browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    playwright_browser.close()


def test_going_back_after_signing_out_does_not_show_the_private_page(everyday_page):
    page = everyday_page
    user = UserFactory(name="Priya Private")
    membership = MembershipFactory(user=user)
    ApplicationFactory(organisation=membership.organisation, created_by=user, title="Mesh radios for the valley")
    sign_in(page, user)
    page.goto("/applications/")
    assert "Mesh radios for the valley" in page.locator("main").inner_text()

    send(page, page.locator("form[action$='/auth/logout'] button"))
    assert page.locator("form[action$='/auth/logout']").count() == 0, "signed out"

    # A page restored from memory fires no "load": wait only until the history entry is shown.
    page.go_back(wait_until="commit")
    # The browser asks the server again, which no longer knows the person: the sign-in page, not their list.
    expect(page).to_have_url(re.compile(r"/auth/login"), timeout=5_000)
    page.wait_for_load_state()
    assert "Mesh radios for the valley" not in page.content()
    assert "Priya Private" not in page.content()
