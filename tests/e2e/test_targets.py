"""An administrator sets and removes a representation target in a real browser, with axe on every page."""

import re

from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import ProgrammeFactory, UserFactory


def test_an_admin_sets_a_target_corrects_it_and_removes_it(page, db):
    admin = UserFactory(name="Ada Admin", roles=["admin"])
    ProgrammeFactory(name="CADE")
    audit = Audit(page)
    sign_in(page, admin)
    page.goto("/reports/")
    audit.check("reports, with the targets section")
    with page.expect_navigation():
        page.get_by_role("link", name="Targets of CADE").click()
    audit.check("targets, none set")
    assert page.get_by_text("No target is set for this programme yet.").count() == 1

    # A share above 100 and a baseline without its source: both named, nothing typed lost.
    page.get_by_label("Group", exact=True).select_option("region:002")
    page.get_by_label("Target share of awards (%)").fill("150")
    page.get_by_label("Baseline (%)").fill("8")
    send(page, page.get_by_role("button", name="Save the target"))
    assert page.evaluate("document.activeElement.classList.contains('error-summary')"), \
        "the error summary takes focus so that it is read first"
    audit.check("targets, refused")
    summary = page.locator(".error-summary")
    assert summary.get_by_role("link").count() == 2
    assert page.get_by_label("Group", exact=True).input_value() == "region:002"
    assert page.get_by_label("Target share of awards (%)").input_value() == "150"
    assert page.get_by_label("Baseline (%)").input_value() == "8"
    summary.get_by_role("link", name="Source of the baseline").click()
    assert page.evaluate("document.activeElement.id") == "baseline_source"

    page.get_by_label("Target share of awards (%)").fill("30 %")
    page.get_by_label("Source of the baseline").fill("IGF participation")
    send(page, page.get_by_role("button", name="Save the target"))
    audit.check("targets, one set")
    assert page.get_by_text("Target set: Africa.").count() == 1
    assert page.get_by_text("Africa — at least 30% of awards; baseline 8% (IGF participation)").count() == 1

    # The button says which target it removes (its context is visually hidden, spoken by screen readers).
    send(page, page.get_by_role("button", name=re.compile(r"^Remove\W+Africa$")))
    audit.check("targets, removed")
    assert page.get_by_text("Target removed: Africa.").count() == 1
    assert page.get_by_text("No target is set for this programme yet.").count() == 1
    audit.assert_clean()
