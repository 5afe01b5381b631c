"""Grantee reports: made when the grant opens, saved as drafts, submitted when complete, approved or sent back."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected, ValidationFailed
from cade.extensions import db as _db
from cade.grants.constants import DEFAULT_REPORT_DAYS, ReportStatus, TrancheStatus
from cade.grants.models import GrantReport, IndicatorValue
from cade.grants.report_files import add_report_attachment, delete_report_attachment, open_report_attachment
from cade.grants.reports import (approve_report, grant_reports, report_for_admin, report_for_member, reports_of,
                                 request_changes, save_report, submit_report)
from cade.grants.tranches import tranches_of
from cade.notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory
from tests.grants.helpers import ACCEPTED_AT
from tests.grants.report_helpers import command, complete_form, opened_grant

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def submitted(opened, report=None):
    report = report or opened.interim
    submit_report(opened.owner, report.id, command(complete_form(opened, report)))
    _db.session.commit()
    return report


def errors_of(caught) -> dict:
    return {name: " ".join(str(m) for m in messages) for name, messages in caught.value.errors.items()}


# ---------------------------------------------------------------- creation


def test_a_grant_opens_with_its_reports_dates_and_spend_lines(db):
    opened = opened_grant()
    reports = reports_of(opened.grant)
    assert [r.kind for r in reports] == ["interim", "final"]
    interim, final = reports
    assert interim.due_on == ACCEPTED_AT.date() + timedelta(days=90)  # the call's template
    assert final.due_on == ACCEPTED_AT.date() + timedelta(days=DEFAULT_REPORT_DAYS["final"])  # no template
    assert interim.questionnaire_id is not None and final.questionnaire_id is None
    assert [(l.position, l.category, l.description, l.budget_minor, l.actual_minor) for l in interim.spend_lines] == [
        (1, "equipment", "Routers and solar panels", 8_000_00, None),
        (2, "training", "Training of local operators", 4_345_00, None)]
    assert all(r.status == ReportStatus.DRAFT for r in reports)


def test_a_tranche_waiting_for_an_interim_report_gets_one_even_without_a_template(db):
    opened = opened_grant(interim_template=False)
    interim = opened.interim
    assert interim.due_on == ACCEPTED_AT.date() + timedelta(days=DEFAULT_REPORT_DAYS["interim"])
    assert interim.questionnaire_id is None


def test_a_grant_paid_on_signature_without_templates_has_only_the_final_report(db):
    opened = opened_grant(schedule=None, interim_template=False)
    assert [r.kind for r in reports_of(opened.grant)] == ["final"]


# ---------------------------------------------------------------- saving


def test_a_draft_saves_incomplete_and_reads_numbers_in_the_readers_language(db):
    opened = opened_grant()
    report = opened.interim
    first = report.spend_lines[0]
    save_report(opened.owner, report.id, command({"narrative": "Half done.", f"actual-{first.id}": "7 999,50",
                                                  f"indicator-{opened.people.id}": "1 250,5"}, locale="fr"))
    _db.session.commit()
    _db.session.expire_all()
    report = _db.session.get(GrantReport, report.id)
    assert report.narrative == "Half done."
    assert report.spend_lines[0].actual_minor == 7_999_50 and report.spend_lines[1].actual_minor is None
    assert [str(v.value) for v in report.indicator_values] == ["1250.50"]
    assert report.updated_by_id == opened.owner.id and report.status == ReportStatus.DRAFT


def test_malformed_values_are_refused_per_field_and_nothing_is_saved(db):
    opened = opened_grant()
    report = opened.interim
    line = report.spend_lines[0]
    with pytest.raises(ValidationFailed) as caught:
        command({"total_spent": "lots", f"actual-{line.id}": "-5", f"indicator-{opened.people.id}": "1.234",
                 f"indicator-{opened.networks.id}": "two"})
    errors = errors_of(caught)
    assert set(errors) == {"total_spent", f"actual-{line.id}", f"indicator-{opened.people.id}",
                           f"indicator-{opened.networks.id}"}
    assert "zero or more" in errors[f"actual-{line.id}"] and "2 decimal places" in errors[
        f"indicator-{opened.people.id}"]
    with pytest.raises(ValidationFailed) as caught:
        save_report(opened.owner, report.id, command({"narrative": "Kept?", f"actual-{line.id}": "10.001"}))
    assert "at most 2 decimal places" in errors_of(caught)[f"actual-{line.id}"]
    with pytest.raises(ValidationFailed) as caught:
        save_report(opened.owner, report.id, command({"narrative": "Kept?", f"evidence-{opened.networks.id}": "x"}))
    assert errors_of(caught) == {f"indicator-{opened.networks.id}": "Enter the value this evidence is for."}
    _db.session.rollback()
    assert _db.session.get(GrantReport, report.id).narrative == ""


def test_only_members_of_the_organisation_see_or_write_the_report(db):
    opened = opened_grant()
    stranger = MembershipFactory(user=UserFactory(name="Other Org Member")).user
    plain_member = MembershipFactory(user=UserFactory(name="Plain Member"), organisation=opened.grant.organisation,
                                     role="member").user
    _db.session.commit()
    report_id = opened.interim.id
    with pytest.raises(NotFound):
        report_for_member(stranger, report_id)
    with pytest.raises(NotFound):
        save_report(stranger, report_id, command({"narrative": "Not mine"}))
    assert report_for_member(plain_member, report_id).id == report_id  # any member may write and submit
    save_report(plain_member, report_id, command({"narrative": "Written by a member"}))
    with pytest.raises(NotFound):
        report_for_admin(10**9)


# ---------------------------------------------------------------- submitting


def test_submitting_an_empty_report_names_every_missing_part(db):
    opened = opened_grant()
    report = opened.interim
    with pytest.raises(ValidationFailed) as caught:
        submit_report(opened.owner, report.id, command({}))
    errors = errors_of(caught)
    lines = [line.id for line in report.spend_lines]
    assert set(errors) == {"narrative", f"q_{opened.question.id}", "total_spent", *(f"actual-{i}" for i in lines),
                           f"indicator-{opened.networks.id}", f"indicator-{opened.people.id}"}
    assert "Community networks supported" in errors[f"indicator-{opened.networks.id}"]


def test_lines_that_do_not_add_up_to_the_total_are_refused_naming_both_figures(db):
    opened = opened_grant()
    report = opened.interim
    with pytest.raises(ValidationFailed) as caught:
        submit_report(opened.owner, report.id, command(complete_form(opened, report, total_spent="12000")))
    assert errors_of(caught) == {"total_spent": "The spend lines add up to $12,345.00 but the total spent says "
                                                "$12,000.00. Correct a line or the total so that they agree."}
    assert _db.session.get(GrantReport, report.id).status == ReportStatus.DRAFT


def test_a_line_more_than_ten_percent_off_its_budget_needs_an_explanation(db):
    opened = opened_grant()
    report = opened.interim
    over, under = report.spend_lines
    form = complete_form(opened, report, total_spent="12345.00", **{f"actual-{over.id}": "8801.00",
                                                                    f"actual-{under.id}": "3544.00"})
    with pytest.raises(ValidationFailed) as caught:
        submit_report(opened.owner, report.id, command(form))
    errors = errors_of(caught)
    assert set(errors) == {f"explanation-{over.id}", f"explanation-{under.id}"}  # 10.01 % above, 18.4 % below
    assert "$8,801.00 spent against a budget of $8,000.00 (+10%)" in errors[f"explanation-{over.id}"]
    # Exactly ten percent needs no word; an explanation settles the other.
    form.update({f"actual-{over.id}": "8800.00", f"actual-{under.id}": "3545.00",
                 f"explanation-{under.id}": "One training moved to next year."})
    submit_report(opened.owner, report.id, command(form))
    assert report.status == ReportStatus.SUBMITTED


def test_an_indicator_asking_for_evidence_refuses_a_value_without_it(db):
    opened = opened_grant()
    report = opened.interim
    form = complete_form(opened, report, **{f"evidence-{opened.networks.id}": "  "})
    with pytest.raises(ValidationFailed) as caught:
        submit_report(opened.owner, report.id, command(form))
    assert set(errors_of(caught)) == {f"evidence-{opened.networks.id}"}


def test_a_complete_report_is_submitted_once_and_the_admins_are_told(db, admin, outbox):
    opened = opened_grant()
    report = submitted(opened)
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by_id == opened.owner.id and report.submitted_at is not None
    values = _db.session.scalars(select(IndicatorValue).where(IndicatorValue.report_id == report.id)).all()
    assert sorted(str(v.value) for v in values) == ["1250.00", "2.00"]
    with pytest.raises(InvalidTransition) as caught:  # a double click
        submit_report(opened.owner, report.id, command(complete_form(opened, report)))
    assert "was submitted on" in str(caught.value)
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.verb == "report.submitted")) == 1
    notes = outbox("grants.report_submitted")
    assert [n.recipient_id for n in notes] == [admin.id]
    with pytest.raises(InvalidTransition):  # no saving once submitted either
        save_report(opened.owner, report.id, command({"narrative": "late change"}))


# ---------------------------------------------------------------- reviewing


def test_approving_the_interim_report_unlocks_the_interim_tranche(db, admin, outbox):
    opened = opened_grant()
    report = submitted(opened)
    assert [t.status for t in tranches_of(opened.grant)] == ["payable", "due", "due"]
    approve_report(admin, report.id, "Thank you, well documented.")
    _db.session.commit()
    assert report.status == ReportStatus.APPROVED and report.reviewed_by_id == admin.id
    assert report.review_comments == "Thank you, well documented."
    assert [t.status for t in tranches_of(opened.grant)] == ["payable", "payable", "due"]
    note = outbox("grants.report_approved")[0]
    assert note.recipient_id == opened.owner.id
    assert note.context["unlocked"] == [{"position": 2, "amount": {"minor": 4_938_00, "currency": "USD"}}]
    with pytest.raises(InvalidTransition) as caught:
        approve_report(admin, report.id)
    assert "already approved" in str(caught.value) and "Ada Admin" in str(caught.value)
    with pytest.raises(InvalidTransition) as caught:
        save_report(opened.owner, report.id, command({"narrative": "after approval"}))
    assert "approved on" in str(caught.value)


def test_only_admins_review_and_only_submitted_reports(db, admin):
    opened = opened_grant()
    with pytest.raises(InvalidTransition) as caught:
        approve_report(admin, opened.interim.id)
    assert "not been submitted" in str(caught.value)
    report = submitted(opened)
    with pytest.raises(PermissionDenied):
        approve_report(opened.owner, report.id)
    with pytest.raises(PermissionDenied):
        request_changes(opened.owner, report.id, "Please fix")
    assert report.status == ReportStatus.SUBMITTED


def test_changes_requested_then_fixed_and_resubmitted(db, admin, outbox):
    opened = opened_grant()
    report = submitted(opened)
    with pytest.raises(ValidationFailed) as caught:
        request_changes(admin, report.id, "   ")
    assert set(errors_of(caught)) == {"comments"}
    request_changes(admin, report.id, "Please add the site list for the third village.")
    _db.session.commit()
    assert report.status == ReportStatus.CHANGES_REQUESTED
    note = outbox("grants.report_changes_requested")[0]
    assert note.recipient_id == opened.owner.id
    assert note.context["comments"] == "Please add the site list for the third village."

    form = complete_form(opened, report, narrative="Three villages; the site list is attached.")
    submit_report(opened.owner, report.id, command(form))
    _db.session.commit()
    assert report.status == ReportStatus.SUBMITTED and report.narrative.startswith("Three villages; the site")
    assert len(outbox("grants.report_submitted")) == 2  # the admins hear of the second submission too
    assert outbox("grants.report_submitted")[1].context["resubmitted"] is True
    approve_report(admin, report.id)
    _db.session.commit()
    verbs = _db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "GrantReport")
                                .order_by(AuditEvent.id)).all()
    assert verbs == ["report.submitted", "report.changes_requested", "report.submitted", "report.approved"]


def test_the_grant_page_overview_names_the_next_report_and_what_it_unlocks(db, admin):
    opened = opened_grant()
    overview = grant_reports(opened.grant)
    assert overview.next_report.kind == "interim"
    assert [t.position for t in overview.unlocks] == [2]
    approve_report(admin, submitted(opened).id)
    _db.session.commit()
    overview = grant_reports(opened.grant)
    assert overview.next_report.kind == "final" and [t.position for t in overview.unlocks] == [3]


def test_notifications_are_queued_in_the_recipients_language(db, admin):
    from cade.notifications.rendering import render_notification

    opened = opened_grant(owner_locale="fr")
    admin.locale = "es"
    report = submitted(opened)
    request_changes(admin, report.id, "Ajoutez la liste des sites.")
    _db.session.commit()
    to_owner = _db.session.scalar(select(Notification).where(Notification.kind == "grants.report_changes_requested"))
    to_admin = _db.session.scalar(select(Notification).where(Notification.kind == "grants.report_submitted"))
    assert (to_owner.locale, to_admin.locale) == ("fr", "es")
    subject, text, html = render_notification(to_owner)
    assert "Ajoutez la liste des sites." in text and f"/grants/{opened.grant.id}/reports/{report.id}" in text
    assert "Ajoutez la liste des sites." in html
    subject, text, html = render_notification(to_admin)
    assert "Amina Diallo" in text and f"/admin/grants/{opened.grant.id}/reports/{report.id}" in text
    assert "2026-" not in text  # dates are written out, never ISO


# ---------------------------------------------------------------- attachments


def test_an_attachment_is_checked_by_its_content(db, storage_path):
    opened = opened_grant()
    report = opened.interim
    with pytest.raises(UploadRejected) as caught:
        add_report_attachment(opened.owner, report.id, io.BytesIO(b"MZ\x90\x00 not a pdf at all"), "invoice.pdf")
    assert "by its content" in str(caught.value)
    with pytest.raises(UploadRejected):
        add_report_attachment(opened.owner, report.id, io.BytesIO(b""), "empty.pdf")
    assert report.attachments == []
    attachment = add_report_attachment(opened.owner, report.id, io.BytesIO(PDF), "../../site list.pdf")
    _db.session.commit()
    assert (attachment.original_name, attachment.content_type) == ("site list.pdf", "application/pdf")
    found, stream = open_report_attachment(opened.owner, report.id, attachment.id)
    with stream:
        assert stream.read() == PDF
    stranger = MembershipFactory(user=UserFactory()).user
    with pytest.raises(NotFound):
        open_report_attachment(stranger, report.id, attachment.id)
    with pytest.raises(NotFound):
        open_report_attachment(opened.owner, opened.final.id, attachment.id)  # another report's id
    delete_report_attachment(opened.owner, report.id, attachment.id)
    _db.session.commit()
    assert _db.session.get(GrantReport, report.id).attachments == []


def test_files_cannot_be_added_or_removed_once_submitted(db):
    opened = opened_grant()
    report = opened.interim
    attachment = add_report_attachment(opened.owner, report.id, io.BytesIO(PDF), "evidence.pdf")
    _db.session.commit()
    submitted(opened, report)
    with pytest.raises(InvalidTransition):
        add_report_attachment(opened.owner, report.id, io.BytesIO(PDF), "more.pdf")
    with pytest.raises(InvalidTransition):
        delete_report_attachment(opened.owner, report.id, attachment.id)


def test_approving_the_final_report_moves_the_last_tranche_too(db, admin):
    opened = opened_grant()
    approve_report(admin, submitted(opened).id)
    approve_report(admin, submitted(opened, opened.final).id)
    _db.session.commit()
    assert [t.status for t in tranches_of(opened.grant)] == [TrancheStatus.PAYABLE] * 3


def test_approving_the_final_report_of_a_fully_paid_grant_closes_it(db, admin):
    from datetime import date

    from cade.grants.constants import GrantStatus
    from cade.grants.tranches import PaymentInput, pay_tranche

    from tests.diligence.payee_helpers import ready_to_pay

    opened = opened_grant(schedule=None, interim_template=False)  # everything paid on signature; final report only
    ready_to_pay(opened.grant.organisation, opened.grant.call.programme)
    pay_tranche(admin, tranches_of(opened.grant)[0].id,
                PaymentInput.from_input({"paid_on": "2026-11-25", "reference": "W-1"}, today=date(2026, 12, 5)))
    _db.session.commit()
    assert opened.grant.status == GrantStatus.ACTIVE
    approve_report(admin, submitted(opened, opened.final).id)
    _db.session.commit()
    _db.session.refresh(opened.grant)
    assert opened.grant.status == GrantStatus.CLOSED and opened.grant.closed_at is not None
    opened.grant.returned_minor, opened.grant.returned_on, opened.grant.returned_reference = 345_00, date(2027, 1, 5), "RET-9"
    _db.session.commit()
    from cade.grants.timeline import grant_timeline

    steps = [step.text for step in grant_timeline(opened.grant)]
    assert steps.index("Tranche 1 paid (reference W-1)") < steps.index("Final report submitted") < steps.index(
        "Final report approved") <= steps.index("Grant closed")
    assert "$345.00 of unspent money returned (reference RET-9)" in steps


def test_the_approval_message_names_the_unlocked_tranche_in_the_owners_language(db, admin):
    from cade.notifications.rendering import render_notification

    opened = opened_grant(owner_locale="fr")
    approve_report(admin, submitted(opened).id, "Merci.")
    _db.session.commit()
    note = _db.session.scalar(select(Notification).where(Notification.kind == "grants.report_approved"))
    assert note.locale == "fr"
    subject, text, html = render_notification(note)
    assert "4\u202f938,00\xa0$US" in text and "Merci." in text and "Merci." in html
