"""An administrator compiles a funding summary and reads it, in a real browser, with and without JavaScript."""

import pytest
from sqlalchemy import select

from cade.core.runs import Run, RunStatus
from cade.extensions import db as _db
from cade.reports.services.runs import compile_report
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import UserFactory
from tests.reports.test_summary import fixture  # noqa: F401  (the hand-computed fixture)


@pytest.mark.parametrize("javascript", [True, False])
def test_an_admin_compiles_a_summary_and_reads_its_dashboard(browser, live_server, db, fixture, javascript):  # noqa: F811
    admin = UserFactory(name="Ada Admin", roles=["admin"])
    context = browser.new_context(base_url=live_server, locale="en-GB", java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        audit = Audit(page) if javascript else None  # axe runs in the page: it needs JavaScript
        check = audit.check if audit else (lambda name: None)
        sign_in(page, admin)
        page.goto("/reports/")
        check("reports")
        page.get_by_label("Reporting currency").select_option("USD")
        page.get_by_label("Capacity development").check()
        send(page, page.get_by_role("button", name="Compile the summary"))
        check("report run, queued")
        run = _db.session.scalars(select(Run).order_by(Run.id.desc())).first()
        assert run.params["programme_ids"] == [fixture["usd"].id]

        # The worker's part, done here: the page follows it (polling with JavaScript, reloading without).
        assert compile_report(run.id, _db.session.commit).status == RunStatus.SUCCEEDED
        _db.session.commit()
        page.reload()
        with page.expect_navigation():
            page.get_by_role("link", name="Open the dashboard").click()
        check("dashboard")
        assert page.get_by_role("img", name="Amount awarded by region, in USD").count() == 1
        assert page.get_by_role("table", name="By region", exact=True).count() == 1
        assert "$10,000.00" in page.content()

        download = page.request.get(f"/reports/{run.id}/csv")
        assert download.status == 200 and download.headers["content-type"] == "application/zip"
        assert "no-store" in download.headers["cache-control"]
        if audit:
            audit.assert_clean()
    finally:
        context.close()
