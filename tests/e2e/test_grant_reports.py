"""The grantee report journey in a real browser, with JavaScript on and off: the interim report written (narrative,
a question, spend lines, indicator values with evidence, a file), refused while its lines do not add up to the total
(the error beside the total, everything typed kept), fixed and submitted; the admin asks for changes; the grantee
fixes and resubmits; the admin approves, and the second tranche is then payable and paid. Axe on every report,
indicator and closure page."""

from datetime import date


from cade.extensions import db as _db
from cade.grants.constants import ReportStatus, TrancheStatus
from cade.grants.reports import reports_of, submit_report
from cade.grants.tranches import PaymentInput, pay_tranche, tranches_of
from tests.diligence.payee_helpers import ready_to_pay
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.grants.report_helpers import command, complete_form, opened_grant

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CHANGES = "Please say which villages were connected, and by whom."


def _grant_with_first_tranche_paid(admin):
    """A grant (USD 12,345.00, 40/40/20, two budget lines, an interim question, two indicators) whose first
    tranche is paid; (opened, interim report)."""
    opened = opened_grant()
    ready_to_pay(opened.grant.organisation, opened.grant.call.programme, screened_on=date.today())
    first = tranches_of(opened.grant)[0]
    pay_tranche(admin, first.id, PaymentInput.from_input({"paid_on": date.today().isoformat(),
                                                          "reference": "BANK-T1"}))
    _db.session.commit()
    return opened, opened.interim


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def _flash(page) -> str:
    return page.locator(".flashes").inner_text()


def test_a_grantee_writes_submits_fixes_and_the_admin_approves_and_pays_the_second_tranche(browse, admin, tmp_path):
    page = browse
    opened, interim = _grant_with_first_tranche_paid(admin)
    equipment, training = interim.spend_lines
    report_path = f"/grants/{opened.grant.id}/reports/{interim.id}"
    sign_in(page, opened.owner)
    page.goto(report_path)
    assert page.get_by_role("heading", name="Spend against budget").count() == 1

    page.get_by_label("What was done in this period, and what came of it?").fill("Two villages are connected.")
    page.get_by_label("What did the community learn?").fill("To maintain the routers themselves.")
    page.locator(f"#actual-{equipment.id}").fill("6500")
    page.locator(f"#explanation-{equipment.id}").fill("Solar panels were donated by the district.")
    page.locator(f"#actual-{training.id}").fill("4345")
    page.get_by_label("Total spent").fill("12345")  # the lines add up to 10,845
    page.locator(f"#indicator-{opened.networks.id}").fill("2")
    page.locator(f"#evidence-{opened.networks.id}").fill("List of sites and photos of each mast.")
    page.locator(f"#indicator-{opened.people.id}").fill("1250")
    pdf = tmp_path / "site-visits.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Add a file").set_input_files(str(pdf))
    send(page, page.get_by_role("button", name="Submit the report", exact=True))

    # Refused beside the total, in the summary that links to it; nothing typed is lost.
    error = page.locator("#total_spent-error").inner_text()
    assert "add up to US$10,845.00" in error or "add up to $10,845.00" in error, error
    assert page.locator(".error-summary a[href='#total_spent']").count() == 1
    assert page.locator("#total_spent").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("What was done in this period, and what came of it?").input_value() == \
        "Two villages are connected."
    assert page.get_by_label("What did the community learn?").input_value() == "To maintain the routers themselves."
    assert page.locator(f"#actual-{equipment.id}").input_value() == "6500"
    assert page.locator(f"#explanation-{equipment.id}").input_value() == "Solar panels were donated by the district."
    assert page.locator("#total_spent").input_value() == "12345"
    assert page.locator(f"#indicator-{opened.networks.id}").input_value() == "2"
    assert page.locator(f"#evidence-{opened.networks.id}").input_value() == "List of sites and photos of each mast."
    assert page.locator(f"#indicator-{opened.people.id}").input_value() == "1250"
    assert page.get_by_role("link", name="site-visits.pdf").count() == 1, "the file was kept with the draft"
    _db.session.expire_all()
    assert _db.session.get(type(interim), interim.id).status == ReportStatus.DRAFT

    page.get_by_label("Total spent").fill("10845")
    send(page, page.get_by_role("button", name="Submit the report", exact=True))
    assert "Your report was submitted." in _flash(page)
    assert page.get_by_role("button", name="Submit the report").count() == 0, "read-only once submitted"

    sign_in(page, admin)
    page.goto(f"/admin/grants/{opened.grant.id}/reports/{interim.id}")
    assert "Two villages are connected." in _main(page) and "site-visits.pdf" in _main(page)
    send(page, page.get_by_role("button", name="Send the report back", exact=True))
    assert page.locator("#changes-comments-error").count() == 1, "comments are required to send it back"
    page.get_by_label("What needs to change").fill(CHANGES)
    send(page, page.get_by_role("button", name="Send the report back", exact=True))
    assert "The report was sent back with your comments." in _flash(page)

    sign_in(page, opened.owner)
    page.goto(report_path)
    assert CHANGES in _main(page)
    page.get_by_label("What was done in this period, and what came of it?").fill(
        "Two villages (Kibera North and Oloika) are connected; the local operators installed the masts.")
    send(page, page.get_by_role("button", name="Submit the report", exact=True))
    assert "Your report was submitted." in _flash(page)

    sign_in(page, admin)
    page.goto(f"/admin/grants/{opened.grant.id}/reports/{interim.id}")
    assert "Kibera North and Oloika" in _main(page)
    page.get_by_label("Comments for the organisation (optional)").fill("Thank you.")
    send(page, page.get_by_role("button", name="Approve the report", exact=True))
    assert "The report is approved." in _flash(page)

    page.goto(f"/grants/{opened.grant.id}")
    rows = page.locator("section:has(#schedule) tbody tr")
    assert "Paid" in rows.nth(0).inner_text() and "Payable" in rows.nth(1).inner_text()
    page.get_by_label("Payment reference").fill("BANK-T2")
    send(page, page.get_by_role("button", name="Record the payment", exact=True))
    assert "Payment recorded: tranche 2, reference BANK-T2." in _flash(page)

    _db.session.expire_all()
    report = next(r for r in reports_of(opened.grant) if r.id == interim.id)
    assert report.status == ReportStatus.APPROVED and report.total_spent_minor == 10_845_00
    assert {v.indicator_id: v.value for v in report.indicator_values} == {opened.networks.id: 2,
                                                                          opened.people.id: 1250}
    assert [t.status for t in tranches_of(opened.grant)] == [TrancheStatus.PAID, TrancheStatus.PAID,
                                                             TrancheStatus.DUE]


def test_report_indicator_and_closure_pages_meet_wcag_2_2_aa(page, db, admin):
    opened, interim = _grant_with_first_tranche_paid(admin)
    grant = opened.grant
    audit = Audit(page)
    sign_in(page, opened.owner)
    report_path = f"/grants/{grant.id}/reports/{interim.id}"
    audit.visit(report_path, "the report form")
    page.get_by_label("Total spent").fill("1")
    send(page, page.get_by_role("button", name="Submit the report", exact=True))
    audit.check("the report form, refused")

    submit_report(opened.owner, interim.id, command(complete_form(opened, interim)))
    _db.session.commit()
    audit.visit(report_path, "the report, read-only")
    sign_in(page, admin)
    audit.visit(f"/admin/grants/{grant.id}/reports/{interim.id}", "the admin review page")
    send(page, page.get_by_role("button", name="Send the report back", exact=True))
    audit.check("the admin review page, refused")
    audit.visit(f"/admin/calls/{grant.call_id}/reports", "the call's reports")
    audit.visit(f"/admin/programmes/{grant.call.programme_id}/indicators", "the programme's indicators")
    audit.visit(f"/admin/grants/{grant.id}/indicators", "the grant's targets")
    audit.visit(f"/admin/grants/{grant.id}/returned", "money returned")
    audit.assert_clean()
