"""Editing a call in review in a real browser: the notice, the locked blind review, the reason, and
its refusals, axe-clean in English and French, with what was typed kept (issue 8, item 2)."""

from datetime import timedelta

from cade.core.db import utcnow
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    DecisionFactory,
    UserFactory,
)


def _call_in_review():
    """Closed yesterday, blind, 12,500.00 awarded, and a reviewer has opened an application."""
    now = utcnow().replace(microsecond=0)
    call = CallFactory(title="Connecting rural communities 2026", blind_review=True,
                       opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=1))
    DecisionFactory(application=ApplicationFactory(call=call, under_review=True), amount_minor=12_500_00)
    ConflictDeclarationFactory(assignment=AssignmentFactory(application=ApplicationFactory(call=call,
                                                                                           under_review=True)))
    return call


def test_a_call_in_review_is_edited_with_a_reason_and_its_refusals_are_clear(page):
    call = _call_in_review()
    audit = Audit(page)
    sign_in(page, UserFactory(roles=["admin"], name="Ada Admin"))

    audit.visit(f"/admin/calls/{call.id}/edit", "call in review")
    notice = page.locator("main [role=note]").inner_text()
    assert "in review" in notice and "$12,500.00 is already awarded" in notice
    assert page.locator("input[name=blind_review]").count() == 0
    assert "Blind review is on and can no longer change" in page.locator("main").inner_text()

    page.get_by_label("Title").fill("Connecting rural communities, 2026")
    page.get_by_label("Budget envelope").fill("12000")
    page.get_by_label("Maximum award").fill("10000")
    send(page, page.get_by_role("button", name="Save"))
    audit.check("call in review with errors")
    summary = page.locator(".error-summary").inner_text()
    assert "already awarded" in summary and "say why you are changing it" in summary
    assert page.get_by_label("Title").input_value() == "Connecting rural communities, 2026"
    assert page.get_by_label("Budget envelope").input_value() == "12000"

    page.locator(".error-summary a[href='#reason']").click()
    assert page.evaluate("document.activeElement.id") == "reason"
    page.get_by_label("Reason for the change").fill("The funder cut the programme's budget.")
    page.get_by_label("Budget envelope").fill("12500")
    send(page, page.get_by_role("button", name="Save"))
    assert page.url.endswith(f"/admin/calls/{call.id}")
    assert "Call saved." in page.locator(".flashes").inner_text()

    sign_in(page, UserFactory(roles=["admin"], locale="fr"), language="fr")
    audit.visit(f"/admin/calls/{call.id}/edit", "call in review, French")
    page.locator("#budget_envelope").fill("12000")
    send(page, page.locator("main form button[type=submit]"))
    audit.check("call in review with errors, French")
    assert "12\u202f500,00\u00a0$US" in page.locator("#budget_envelope-error").inner_text()
    audit.assert_clean()
