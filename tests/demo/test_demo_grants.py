"""The demo's grants (issue 11): an offer waiting, a grant with its first tranche paid, a declined offer whose
waitlisted application was awarded, a lapsed offer; reports approved (unlocking and paying the second tranche),
sent back and overdue (blocking a new application), a closed grant with money returned, indicators and targets;
each made through the services, and seeded once."""

import html
from datetime import timedelta
from decimal import Decimal

from babel.dates import format_date

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.eligibility import check_eligibility
from cade.applications.models import Application
from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.models import Decision
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.storage import get_storage
from cade.demo import data
from cade.demo import grants as demo_grants
from cade.grants.constants import GrantStatus, ReportKind, ReportStatus, TrancheCondition, TrancheStatus
from cade.grants.indicators import grant_progress, indicators_of
from cade.grants.models import Grant, GrantReport
from cade.grants.overdue import is_overdue, overdue_reports_of_organisation
from cade.grants.report_templates import templates_of
from cade.grants.reports import questions_of, reports_of
from cade.grants.services import grant_for_decision
from cade.grants.tranches import call_schedule, has_own_schedule, tranches_of
from cade.notifications.models import Notification
from cade.programmes.models import Call, Programme


def _row_counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def _call(db, key: str) -> Call:
    title = next(spec["title"] for spec in data.CALLS if spec["key"] == key)
    return db.session.scalar(select(Call).where(Call.title == title))


def _decision(db, stage: tuple[str, str]) -> Decision:
    call_key, org_key = stage
    name = next(spec["name"] for spec in data.ORGANISATIONS if spec["key"] == org_key)
    return db.session.scalar(select(Decision).join(Application, Application.id == Decision.application_id)
                             .where(Application.call_id == _call(db, call_key).id,
                                    Application.organisation.has(name=name)))


def _past_call(db, prefix: str) -> Call:
    return db.session.scalar(select(Call).where(Call.reference_prefix == prefix))


def _past_grant(db, stage: tuple[str, str]) -> Grant:
    prefix, name = stage
    decision = db.session.scalar(select(Decision).join(Application, Application.id == Decision.application_id)
                                 .where(Application.call_id == _past_call(db, prefix).id,
                                        Application.organisation.has(name=name)))
    return grant_for_decision(decision.id)


def _report(grant: Grant, kind: ReportKind) -> GrantReport:
    return next(report for report in reports_of(grant) if report.kind == kind)


def _values(report: GrantReport) -> dict[str, Decimal]:
    return {value.indicator.code: value.value for value in report.indicator_values}


def _verbs(db, decision_or_grant, model) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).where(
        AuditEvent.object_type == model, AuditEvent.object_id == decision_or_grant.id).order_by(AuditEvent.id)))


def test_the_grant_calls_pay_40_40_20_and_the_travel_calls_once_on_signature(db, seeded):
    for key in ("cade-2025", "cade-2026", "cng-2026", "cng-2026-r2"):
        schedule = call_schedule(_call(db, key).id)
        assert [(row.share, row.condition) for row in schedule] == [
            (Decimal("0.4"), TrancheCondition.ON_SIGNATURE),
            (Decimal("0.4"), TrancheCondition.INTERIM_REPORT_APPROVED),
            (Decimal("0.2"), TrancheCondition.FINAL_REPORT_APPROVED)], key
    assert not has_own_schedule(_call(db, "wsis-2026").id)
    early_round = _past_call(db, "CADE-2026E")
    assert [row.condition for row in call_schedule(early_round.id)][1] == TrancheCondition.INTERIM_REPORT_APPROVED
    assert call_schedule(_past_call(db, "CNG-2025").id) == call_schedule(early_round.id)
    assert not has_own_schedule(_past_call(db, "CADE-OC-2025").id)
    verbs = db.session.scalars(select(AuditEvent.verb).where(AuditEvent.verb == "call.tranches_set")).all()
    assert len(verbs) == 6, "set through the tranche service, audited once per call"


def test_the_demo_applicants_offer_waits_with_its_deadline_ahead(db, seeded):
    decision = _decision(db, demo_grants.WAITING)
    assert decision.application.organisation.memberships[0].user.email == data.APPLICANT_EMAIL
    assert decision.status == DecisionStatus.RELEASED and decision.outcome == DecisionOutcome.AWARD
    assert decision.offer_deadline_at > utcnow() + timedelta(days=20)
    assert grant_for_decision(decision.id) is None


def test_an_accepted_grant_has_its_agreement_and_its_first_tranche_paid(db, seeded):
    decision = _decision(db, demo_grants.ACCEPTED_PAID)
    assert decision.status == DecisionStatus.ACCEPTED
    assert (decision.signatory_name, decision.signatory_position) == ("Yasmine Ben Salah", "Présidente")
    assert decision.accepted_at == decision.released_at + timedelta(days=1)
    grant = grant_for_decision(decision.id)
    with get_storage().open(grant.agreement_stored_name) as stream:
        assert stream.read(5) == b"%PDF-"
    tranches = tranches_of(grant)
    assert [(t.amount_minor, t.status) for t in tranches] == [
        (16_000_00, TrancheStatus.PAID), (16_000_00, TrancheStatus.DUE), (8_000_00, TrancheStatus.DUE)]
    assert tranches[0].payment_reference == "EC-INTPA-CADE25-0007-T1"
    assert tranches[0].paid_by.email == demo_grants.ADMIN_EMAIL
    assert tranches[0].paid_on <= utcnow().date()
    assert _verbs(db, decision, "Decision")[-1] == "decision.accepted"
    assert "grant.opened" in _verbs(db, grant, "Grant")
    assert "tranche.paid" in _verbs(db, tranches[0], "Tranche")
    owners = db.session.scalars(select(Notification.recipient_email).where(
        Notification.kind == "grants.tranche_paid")).all()
    assert decision.application.organisation.memberships[0].user.email in owners


def test_a_declined_offer_brought_the_waitlisted_application_forward_and_it_was_awarded(db, seeded):
    declined = _decision(db, demo_grants.DECLINED)
    assert declined.status == DecisionStatus.DECLINED and declined.decline_reason == demo_grants.DECLINE_REASON
    waitlisted = _decision(db, demo_grants.WAITLISTED)
    proposals = db.session.scalars(select(Notification).where(Notification.kind == "awards.waitlist_proposed")).all()
    assert proposals and {p.context["application_id"] for p in proposals} == {waitlisted.application_id}
    assert waitlisted.outcome == DecisionOutcome.AWARD and waitlisted.status == DecisionStatus.RELEASED
    assert waitlisted.amount_minor == waitlisted.application.requested_amount_minor == 15_000_00
    assert waitlisted.application.status == ApplicationStatus.AWARDED
    assert waitlisted.offer_deadline_at > utcnow() + timedelta(days=20)
    assert "decision.awarded_from_waitlist" in _verbs(db, waitlisted, "Decision")
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "awards.decision_released",
        Notification.idempotency_key.startswith(f"offer-made:{waitlisted.application_id}:"))) >= 1


def test_an_unanswered_travel_offer_lapsed_and_the_answered_ones_opened_grants(db, seeded):
    lapsed = _decision(db, demo_grants.LAPSED)
    assert lapsed.status == DecisionStatus.LAPSED and grant_for_decision(lapsed.id) is None
    assert "decision.lapsed" in _verbs(db, lapsed, "Decision")
    paid = grant_for_decision(_decision(db, demo_grants.TRAVEL_PAID).id)
    unpaid = grant_for_decision(_decision(db, demo_grants.TRAVEL_UNPAID).id)
    assert [t.status for t in tranches_of(paid)] == [TrancheStatus.PAID]
    assert [t.status for t in tranches_of(unpaid)] == [TrancheStatus.PAYABLE]
    assert db.session.scalar(select(func.count()).select_from(Grant)) == 7


def test_seeding_again_adds_no_grant_payment_message_or_audit_event(app, db, seeded):
    assert "7 grants" in seeded.output and "9 tranches paid" in seeded.output
    before = _row_counts(db)

    again = app.test_cli_runner().invoke(args=["seed-demo"])

    assert again.exit_code == 0, again.output
    assert "nothing to add" in again.output
    db.session.expire_all()
    assert _row_counts(db) == before


# ---------------------------------------------------------------- reports, indicators, closure


def test_the_community_network_and_capacity_programmes_have_their_suggested_indicators(db, seeded):
    codes = {}
    for programme in db.session.scalars(select(Programme)):
        codes[programme.kind] = [i.code for i in indicators_of(programme.id)]
    assert codes == {"capacity_development": ["staff-trained", "policy-submissions", "processes-engaged"],
                     "community_network": ["networks", "people-connected", "sites-connected", "operators-trained"],
                     "travel_support": []}
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "indicator.added")).all()) == 7


def test_a_past_community_network_round_asks_an_interim_report_with_two_questions_answered(db, seeded):
    call = _past_call(db, demo_grants.TEMPLATE_CALL)
    templates = templates_of(call.id)
    assert {kind: t.due_after_days for kind, t in templates.items()} == {ReportKind.INTERIM: 540,
                                                                         ReportKind.FINAL: 730}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.verb == "question.added", AuditEvent.object_type == "Question")) >= 2
    grant = _past_grant(db, demo_grants.APPROVED)
    interim = _report(grant, ReportKind.INTERIM)
    assert [q.label for q in questions_of(interim)] == [q["label"] for q in demo_grants.REPORT_QUESTIONS]
    answers = {answer.question_id: answer for answer in interim.answers}
    first, second = questions_of(interim)
    assert answers[first.id].text.startswith("The clinic") and answers[second.id].number == 5
    assert interim.due_on == grant.decision.accepted_at.date() + timedelta(days=540)


def test_an_interim_report_was_approved_with_its_values_and_the_second_tranche_paid(db, seeded):
    grant = _past_grant(db, demo_grants.APPROVED)
    assert grant.call.programme.kind == "community_network"
    interim, final = _report(grant, ReportKind.INTERIM), _report(grant, ReportKind.FINAL)
    assert interim.status == ReportStatus.APPROVED and final.status == ReportStatus.DRAFT
    assert interim.review_comments == demo_grants.APPROVAL_COMMENTS
    assert _values(interim) == {"networks": 1, "people-connected": 420, "sites-connected": 4,
                                "operators-trained": 4}
    assert interim.total_spent_minor == sum(line.actual_minor for line in interim.spend_lines)
    tranches = tranches_of(grant)
    assert [t.status for t in tranches] == [TrancheStatus.PAID, TrancheStatus.PAID, TrancheStatus.DUE]
    assert tranches[1].payment_reference == demo_grants.PAST_PAYMENTS[demo_grants.APPROVED][1]
    progress = {p.indicator.code: (p.target, p.achieved) for p in grant_progress(grant)}
    assert progress["people-connected"] == (Decimal("800.00"), Decimal("420.00"))
    assert _verbs(db, interim, "GrantReport") == ["report.submitted", "report.approved"]
    assert "tranche.paid" in _verbs(db, tranches[1], "Tranche")
    assert "grant.targets_set" in _verbs(db, grant, "Grant")
    assert grant.status == GrantStatus.ACTIVE


def test_atln_keeps_its_interim_report_to_write_with_targets_set(db, seeded):
    grant = grant_for_decision(_decision(db, demo_grants.ACCEPTED_PAID).id)
    assert [r.status for r in reports_of(grant)] == [ReportStatus.DRAFT, ReportStatus.DRAFT]
    progress = {p.indicator.code: p.target for p in grant_progress(grant)}
    assert progress == {"staff-trained": Decimal("12.00"), "policy-submissions": Decimal("4.00"),
                        "processes-engaged": Decimal("3.00")}


def test_an_interim_report_was_sent_back_and_waits_for_the_grantee(db, seeded):
    grant = _past_grant(db, demo_grants.SENT_BACK)
    interim = _report(grant, ReportKind.INTERIM)
    assert interim.status == ReportStatus.CHANGES_REQUESTED
    assert interim.review_comments == demo_grants.CHANGES_COMMENTS
    assert interim.submitted_at is not None and db.session.get(User, interim.reviewed_by_id).email == demo_grants.ADMIN_EMAIL
    assert interim.due_on < utcnow().date(), "due already: the grantee has 14 more days from the request"
    assert not is_overdue(interim, utcnow().date())
    assert [t.status for t in tranches_of(grant)] == [TrancheStatus.PAID, TrancheStatus.DUE, TrancheStatus.DUE]
    assert _verbs(db, interim, "GrantReport") == ["report.submitted", "report.changes_requested"]
    owner = grant.organisation.memberships[0].user.email
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "grants.report_changes_requested", Notification.recipient_email == owner)) == 1


def test_an_overdue_interim_report_blocks_the_organisation_from_applying_to_cade_2026(client, login, db, seeded):
    grant = _past_grant(db, demo_grants.OVERDUE)
    interim = _report(grant, ReportKind.INTERIM)
    assert interim.status == ReportStatus.DRAFT
    assert overdue_reports_of_organisation(grant.organisation_id, utcnow().date())[0] == interim
    call = _call(db, "cade-2026")
    reasons = check_eligibility(call, grant.organisation)
    assert len(reasons) == 1 and "Interim report" in reasons[0], "the overdue report is its only obstacle"
    login(next(m.user for m in grant.organisation.memberships if m.role == "owner"))
    page = html.unescape(client.get(f"/calls/{call.id}/apply").get_data(as_text=True))
    assert "Start my application" not in page
    assert "Interim report" in page and format_date(interim.due_on, "long", locale="en") in page
    assert f'href="/grants/{grant.id}/reports/{interim.id}"' in page


def test_a_closed_grant_has_both_reports_approved_every_tranche_paid_and_money_returned(db, seeded):
    grant = _past_grant(db, demo_grants.CLOSED)
    assert grant.status == GrantStatus.CLOSED and grant.closed_at is not None
    assert grant.call.programme.kind == "community_network"
    interim, final = _report(grant, ReportKind.INTERIM), _report(grant, ReportKind.FINAL)
    assert (interim.status, final.status) == (ReportStatus.APPROVED, ReportStatus.APPROVED)
    assert _values(final) == {"networks": 2, "people-connected": 750, "sites-connected": 7, "operators-trained": 4}
    progress = {p.indicator.code: p.achieved for p in grant_progress(grant)}
    assert progress["people-connected"] == Decimal("1350.00") and progress["networks"] == Decimal("3.00")
    assert [t.status for t in tranches_of(grant)] == [TrancheStatus.PAID] * 3
    spent = interim.total_spent_minor + final.total_spent_minor
    assert grant.returned_minor == grant.amount_minor - spent > 0
    assert grant.returned_reference == demo_grants.RETURN_REFERENCE and grant.returned_on == utcnow().date()
    assert {"grant.opened", "grant.targets_set", "grant.closed", "grant.returned"} <= set(
        _verbs(db, grant, "Grant"))
    owner = grant.organisation.memberships[0].user.email
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "grants.closed", Notification.recipient_email == owner)) == 1


def test_only_the_community_networks_report_approved_values_in_the_funding_summary(db, seeded):
    from cade.grants.models import IndicatorValue

    rows = db.session.execute(
        select(Programme.kind, func.count(IndicatorValue.id))
        .join(GrantReport, GrantReport.id == IndicatorValue.report_id)
        .join(Grant, Grant.id == GrantReport.grant_id).join(Call, Call.id == Grant.call_id)
        .join(Programme, Programme.id == Call.programme_id)
        .where(GrantReport.status == ReportStatus.APPROVED).group_by(Programme.kind)).all()
    assert dict(rows) == {"community_network": 12}  # three reports, four indicators each
