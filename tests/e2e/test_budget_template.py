"""A budget against its call's template in a real browser (issue 14, item 4): with JavaScript the checks follow what
is typed; without it, the server's checks after each save; a submission over the indirect-cost cap is refused with
the cap named, then fixed and submitted. axe looks at the pages on the way."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from cade.applications.models import Application
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import ApplicationFactory, BudgetLineFactory, MembershipFactory, UserFactory
from tests.programmes.test_budgets import template_call


@pytest.fixture()
def no_js_page(browser, live_server, db):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture()
def draft(db):
    """A draft to a call with the EU's template: €10,000 of personnel and €500 of overheads, €10,500 requested."""
    admin = UserFactory(roles=["admin"])
    call = template_call(admin, title="Civic space grants 2026")
    membership = MembershipFactory()
    application = ApplicationFactory(call=call, organisation=membership.organisation, created_by=membership.user,
                                     requested_amount_minor=10_500_00)
    BudgetLineFactory(application=application, category="personnel", description="Coordinator",
                      amount_minor=10_000_00)
    BudgetLineFactory(application=application, category="overheads", description="Rent", amount_minor=500_00)
    db.session.commit()
    return application, membership.user, admin


def panel_says(page, text):
    expect(page.locator("[data-budget-checks]")).to_contain_text(text)


def test_the_checks_follow_the_typing_with_javascript(page, draft):
    application, applicant, admin = draft
    audit = Audit(page)
    sign_in(page, applicant)
    audit.visit(f"/applications/{application.id}/edit", "budget with checks")
    panel_says(page, "Every check is met.")

    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" and
            "autosave" not in request.url else None)
    page.locator("input[name='budget_lines-1-amount']").fill("900")
    panel_says(page, "you entered €900.00 — over by €200.00")
    panel_says(page, "Checks not met: 2.")  # over the cap, and the lines no longer add up
    page.get_by_label("Amount requested").fill("10900")
    panel_says(page, "Checks not met: 1.")
    page.locator("select[name='budget_lines-1-category']").select_option("purchase_of_land")
    panel_says(page, "Purchase of land is not an eligible cost in this call.")
    page.locator("select[name='budget_lines-1-category']").select_option("overheads")
    page.locator("input[name='budget_lines-1-amount']").fill("700")
    page.get_by_label("Amount requested").fill("10700")
    panel_says(page, "Every check is met.")
    assert posts == [], "the checks are worked out in the page, without sending anything"
    audit.check("budget with checks, typed")

    sign_in(page, admin)
    audit.visit(f"/admin/calls/{application.call_id}/budget", "budget template")
    audit.visit(f"/calls/{application.call_id}", "call with budget rules")
    audit.assert_clean()


def test_without_javascript_the_server_checks_each_save_and_refuses_the_submission(no_js_page, draft, db):
    page = no_js_page
    application, applicant, _admin = draft
    edit_path = f"/applications/{application.id}/edit"
    sign_in(page, applicant)
    page.goto(edit_path)
    page.locator("input[name='budget_lines-1-amount']").fill("900")
    page.get_by_label("Amount requested").fill("10900")
    send(page, page.get_by_role("button", name="Save draft", exact=True).last)
    expect(page.get_by_text("Your draft was saved.")).to_be_visible()
    panel_says(page, "you entered €900.00 — over by €200.00")

    send(page, page.get_by_role("button", name="Submit application"))
    assert urlsplit(page.url).path == edit_path
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Indirect costs may be at most 7% of direct costs")
    expect(page.locator("input[name='budget_lines-1-amount']")).to_have_value("900.00")

    page.locator("input[name='budget_lines-1-amount']").fill("700")
    page.get_by_label("Amount requested").fill("10700")
    send(page, page.get_by_role("button", name="Submit application"))
    assert urlsplit(page.url).path == f"/applications/{application.id}"
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "submitted"
