"""Without JavaScript, nothing typed or chosen on the application page is lost (issue 8, item 9): "Add a
budget line" saves the draft and the file chosen, and a refused submission is shown at the edit address,
where a reload sends nothing again."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from cade.applications.models import Application
from cade.programmes.constants import QuestionKind
from tests.factories import PASSWORD, ApplicationFactory, CallFactory, MembershipFactory, QuestionFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture()
def no_js_page(browser, live_server, db):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, user) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(user.email)
    page.locator("main input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("form[action$='/auth/logout']").count() == 1, "signed in"


def test_adding_a_line_and_a_refused_submit_lose_nothing_without_javascript(no_js_page, db, tmp_path):
    page = no_js_page
    membership = MembershipFactory()
    call = CallFactory(title="Connecting rural communities 2026", min_award_minor=1_000_00)
    QuestionFactory(call=call, kind=QuestionKind.LONG_TEXT, label="Who will the network serve?",
                    word_limit=200, required=True)
    application = ApplicationFactory(call=call, organisation=membership.organisation, title="", summary="",
                                     requested_amount_minor=None)
    db.session.commit()
    edit_path = f"/applications/{application.id}/edit"
    sign_in(page, membership.user)

    page.goto(edit_path)
    page.get_by_label("Title").fill("Solar mesh for three villages")
    page.get_by_label("Summary").fill("We will connect three villages.")
    page.get_by_label("Amount requested").fill("20000")
    page.locator("select[name='budget_lines-0-category']").select_option("equipment")
    page.locator("input[name='budget_lines-0-description']").fill("Routers")
    page.locator("input[name='budget_lines-0-amount']").fill("15000")
    pdf = tmp_path / "budget-plan.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Add a file").set_input_files(str(pdf))
    with page.expect_navigation():
        page.get_by_role("button", name="Add a budget line").click()

    # Focused, not anchored: a browser ignores autofocus on a page whose address names a fragment.
    assert urlsplit(page.url).path == edit_path
    new_row = page.locator("select[name='budget_lines-1-category']")
    expect(new_row).to_be_visible()
    expect(new_row).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value("Solar mesh for three villages")
    expect(page.locator("input[name='budget_lines-0-description']")).to_have_value("Routers")
    expect(page.get_by_role("link", name="budget-plan.pdf").first).to_be_visible()

    # The second line, then a submission the call refuses: its question is unanswered.
    new_row.select_option("travel")
    page.locator("input[name='budget_lines-1-description']").fill("Bus fares")
    page.locator("input[name='budget_lines-1-amount']").fill("5000")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit application").click()
    assert urlsplit(page.url).path == edit_path
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Who will the network serve?")).to_be_visible()
    expect(page.locator("input[name='budget_lines-1-description']")).to_have_value("Bus fares")

    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.reload()
    assert posts == [], "a reload must not send the form again"
    assert urlsplit(page.url).path == edit_path
    expect(page.locator(".error-summary")).to_be_visible()

    # Enter in a field presses the form's first button: it saves, and removes no budget line.
    page.get_by_label("Title").fill("Solar mesh for three villages")
    with page.expect_navigation():
        page.get_by_label("Title").press("Enter")
    expect(page.get_by_text("Your draft was saved.")).to_be_visible()

    db.session.expire_all()
    saved = db.session.get(Application, application.id)
    assert saved.status == "draft" and saved.title == "Solar mesh for three villages"
    assert [line.description for line in saved.budget_lines] == ["Routers", "Bus fares"]
    assert [a.original_name for a in saved.attachments] == ["budget-plan.pdf"]
