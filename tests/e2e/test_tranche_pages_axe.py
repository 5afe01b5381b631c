"""WCAG 2.2 AA (axe) on the grant page's payment schedule and the call's schedule page, also when refused."""

from cade.extensions import db as _db
from cade.grants.services import open_grant
from cade.grants.tranches import set_schedule
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import UserFactory
from tests.grants.helpers import accepted_decision


def test_tranche_pages_meet_wcag_2_2_aa(page, db):
    decision, owner = accepted_decision()
    set_schedule(None, decision.call_id, [
        {"share": "40", "condition": "on_signature", "days": "0"},
        {"share": "60", "condition": "final_report_approved", "days": "365"}])
    grant = open_grant(decision)
    admin = UserFactory(name="Ada Admin", roles=["admin"])
    _db.session.commit()

    audit = Audit(page)
    sign_in(page, owner)
    audit.visit(f"/grants/{grant.id}", "grant schedule, grantee")
    sign_in(page, admin)
    audit.visit(f"/grants/{grant.id}", "grant schedule with the pay form")
    page.get_by_label("Payment reference").fill("")
    page.get_by_label("Payment reference").evaluate("el => el.removeAttribute('required')")
    send(page, page.get_by_role("button", name="Record the payment"))
    audit.check("payment refused")
    audit.visit(f"/admin/calls/{decision.call_id}/tranches", "call schedule")
    page.get_by_label("Share of tranche 1 (%)").fill("10")
    send(page, page.get_by_role("button", name="Save the schedule"))
    audit.check("call schedule refused")
    assert "add up to 70 %" in page.content()
    audit.assert_clean()
