"""Releasing a call's decisions asks first, in a browser (issue 8, item 3): the button leads to what will go
out and to how many people, without JavaScript too; cancelling releases nothing; a double click on the
confirmation releases once; axe finds nothing on the confirmation."""

import pytest
from sqlalchemy import func, select

from cade.awards.models import Decision
from cade.notifications.models import Notification
from tests.e2e.test_accessibility import Audit, send
from tests.e2e.test_accessibility import sign_in as sign_in_with_js
from tests.factories import PASSWORD, CallFactory, DecisionFactory, UserFactory, reviewed_application


@pytest.fixture()
def no_js_page(browser, live_server, db):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _world(db):
    """A call with two decisions to release, to three people (one applicant organisation has two members)."""
    call = CallFactory(closed=True, title="Mesh networks 2026")
    DecisionFactory(application=reviewed_application(call, reviews=1, members=2, title="Solar mesh"),
                    amount_minor=20_000_00)
    DecisionFactory(application=reviewed_application(call, reviews=1, members=1, title="Andes link"),
                    outcome="reject", amount_minor=None)
    admin = UserFactory(roles=["admin"])
    db.session.commit()
    return call, admin


def _released(db) -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Decision).where(Decision.released_at.is_not(None))),
            db.session.scalar(select(func.count()).select_from(Notification)))


def test_without_javascript_the_button_asks_first_and_cancel_releases_nothing(no_js_page, db):
    page = no_js_page
    call, admin = _world(db)
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(admin.email)
    page.locator("main input[name=password]").fill(PASSWORD)
    send(page, page.locator("main form button[type=submit]"))

    page.goto(f"/admin/calls/{call.id}/ranking")
    send(page, page.get_by_role("button", name="Release decisions now"))
    main = page.locator("main").inner_text()
    assert "2 decisions will be released and 3 people told." in main
    send(page, page.get_by_role("link", name="Cancel"))
    assert page.url.endswith(f"/admin/calls/{call.id}/ranking#release")
    assert _released(db) == (0, 0)

    send(page, page.get_by_role("button", name="Release decisions now"))
    send(page, page.get_by_role("button", name="Release 2 decisions"))
    assert "2 decisions released" in page.locator(".flashes").inner_text()
    assert _released(db) == (2, 3)


def test_a_double_click_on_the_confirmation_releases_once_and_the_page_meets_wcag(page, db):
    call, admin = _world(db)
    audit = Audit(page)
    sign_in_with_js(page, admin)
    audit.visit(f"/admin/calls/{call.id}/release", "release confirmation")
    with page.expect_navigation():
        page.get_by_role("button", name="Release 2 decisions").dblclick()
    page.wait_for_load_state()
    assert _released(db) == (2, 3)
    audit.check("after the release")
    audit.assert_clean()
