"""The pages the groundwork added, in a real browser: a run's progress page (with and without
JavaScript) and the exchange rates page, each meeting WCAG 2.2 AA."""

from playwright.sync_api import expect

from cade.core.runs import claim_run, finish_run, report_progress, start_run
from cade.core.runs.services import scope_of
from cade.extensions import db as _db
from cade.reviews.services.runs import ASSIGNMENT_RUN_KIND
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import CallFactory, UserFactory


def _running_run(requester):
    call = CallFactory(closed=True, title="Connecting rural communities 2026")
    run = start_run(requester, ASSIGNMENT_RUN_KIND, {"call_id": call.id}, scope=scope_of("call", call.id),
                    enqueue=False)
    claim_run(run)
    report_progress(run, 30)
    _db.session.commit()
    return run


def test_a_run_page_updates_in_place_with_javascript(page):
    requester = UserFactory(name="Rae Requester", roles=["admin"])
    run = _running_run(requester)
    sign_in(page, requester)
    audit = Audit(page)
    audit.visit(f"/runs/{run.id}", "run under way")
    assert page.locator("progress").get_attribute("value") == "30"

    report_progress(run, 70)
    _db.session.commit()
    expect(page.locator("[data-run-percent]")).to_have_text("70%", timeout=15_000)
    finish_run(run, result={"assigned_count": 12, "uncovered": []})
    _db.session.commit()
    page.wait_for_selector("progress", state="detached", timeout=15_000)
    assert "12" in page.locator("main").inner_text()
    audit.check("run finished")
    audit.assert_clean()


def test_a_run_page_reloads_itself_without_javascript(browser, live_server, db):
    requester = UserFactory(name="Nadia No-Script", roles=["admin"])
    run = _running_run(requester)
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, requester)
        page.goto(f"/runs/{run.id}")
        assert page.locator("progress").get_attribute("value") == "30"
        finish_run(run)
        _db.session.commit()
        # The meta refresh inside <noscript> brings the finished run without anyone touching the page.
        page.wait_for_selector("progress", state="detached", timeout=15_000)
    finally:
        context.close()


def test_the_exchange_rates_page_with_and_without_errors_meets_wcag_2_2_aa(page, db):
    admin = UserFactory(roles=["admin"])
    sign_in(page, admin)
    audit = Audit(page)
    audit.visit("/admin/exchange-rates", "exchange rates")
    send(page, page.locator("main form button[type=submit]").last)
    audit.check("exchange rates with errors")
    audit.assert_clean()
