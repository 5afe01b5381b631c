"""Report reminders: due in 14 days, and overdue; each owner once per report and period, in their language."""

from datetime import date, timedelta

import tasks  # noqa: F401  (registers the tasks)
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.grants.constants import REPORT_REMINDER_DAYS, REPORT_RESUBMIT_DAYS, GrantStatus, ReportStatus
from cade.grants.reminders import remind_reports_due, remind_reports_overdue, send_report_reminders
from cade.notifications.rendering import render_notification
from tests.factories import MembershipFactory, UserFactory
from tests.grants.lifecycle_helpers import opened_grant, report, sent_back_on

DUE = date(2027, 6, 30)


def run_task(app):
    return app.extensions["celery"].tasks["grants.report_reminders"].apply().get()


def test_the_beat_runs_the_reminders_daily(app):
    from celery.schedules import crontab

    [entry] = [e for e in app.extensions["celery"].conf.beat_schedule.values()
               if e["task"] == "grants.report_reminders"]
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {6} and entry["schedule"].minute == {10}


def test_the_task_run_twice_tells_each_owner_once_that_a_report_is_due(app, db, outbox):
    grant, owner = opened_grant()
    second = MembershipFactory(organisation=grant.organisation, role="owner", user=UserFactory(name="Bo")).user
    MembershipFactory(organisation=grant.organisation, role="member")  # a plain member is not reminded
    final = report(grant, due_on=utcnow().date() + timedelta(days=REPORT_REMINDER_DAYS))
    assert run_task(app) == {"due": 2, "overdue": 0}
    assert run_task(app) == {"due": 0, "overdue": 0}
    rows = outbox("grants.report_due")
    assert sorted(r.recipient_id for r in rows) == sorted([owner.id, second.id])
    assert rows[0].context["report_id"] == final.id and rows[0].context["due_on"] == final.due_on.isoformat()


def test_only_drafts_due_within_the_reminder_days_are_reminded(db, outbox):
    early, _o1 = opened_grant()
    report(early, due_on=DUE + timedelta(days=1))  # 15 days ahead on the day below: not yet
    handed_in, _o2 = opened_grant()
    report(handed_in, due_on=DUE, status=ReportStatus.SUBMITTED)
    closed, _o3 = opened_grant()
    report(closed, due_on=DUE)
    closed.status = GrantStatus.CLOSED
    _db.session.commit()
    assert remind_reports_due(DUE - timedelta(days=REPORT_REMINDER_DAYS)) == 0
    assert remind_reports_due(DUE - timedelta(days=REPORT_REMINDER_DAYS - 1)) == 1
    assert [r.context["grant_id"] for r in outbox("grants.report_due")] == [early.id]


def test_a_moved_due_date_is_a_new_period_and_is_reminded_again(db, outbox):
    grant, _owner = opened_grant()
    report(grant, due_on=DUE)
    assert remind_reports_due(DUE - timedelta(days=3)) == 1
    report(grant, due_on=DUE + timedelta(days=7))  # the admins gave a week more
    assert remind_reports_due(DUE) == 1
    assert remind_reports_due(DUE + timedelta(days=1)) == 0
    assert len(outbox("grants.report_due")) == 2


def test_an_overdue_report_is_announced_once_in_the_owners_language(db, outbox):
    grant, owner = opened_grant(owner_locale="fr")
    report(grant, due_on=DUE)
    assert remind_reports_overdue(DUE) == 0
    assert send_report_reminders(DUE + timedelta(days=1)) == {"due": 0, "overdue": 1}
    assert send_report_reminders(DUE + timedelta(days=2)) == {"due": 0, "overdue": 0}
    [row] = outbox("grants.report_overdue")
    assert row.recipient_id == owner.id and row.locale == "fr" and row.context["deadline"] == "2027-06-30"
    subject, text, html = render_notification(row)
    assert "30 juin 2027" in text and "30 juin 2027" in html
    assert "2027-06-30" not in text and "2027-06-30" not in html
    assert grant.decision.application.title in subject
    assert f"/grants/{grant.id}/reports/{row.context['report_id']}" in text


def test_the_due_reminder_is_written_out_in_english_too(db, outbox):
    grant, _owner = opened_grant()
    report(grant, "interim", due_on=DUE)
    remind_reports_due(DUE - timedelta(days=1))
    [row] = outbox("grants.report_due")
    subject, text, html = render_notification(row)
    assert subject.startswith("Interim report due on Jun 30, 2027")
    assert "interim report" in text and "June 30, 2027" in text and "June 30, 2027" in html
    assert "2027-06-30" not in text + html


def test_a_report_sent_back_and_not_resubmitted_in_time_is_overdue_again(db, outbox):
    grant, _owner = opened_grant()
    final = report(grant, due_on=DUE)
    assert remind_reports_overdue(DUE + timedelta(days=1)) == 1
    sent_back = DUE + timedelta(days=20)
    report(grant, due_on=DUE, status=ReportStatus.CHANGES_REQUESTED, reviewed_at=sent_back_on(sent_back))
    last_day = sent_back + timedelta(days=REPORT_RESUBMIT_DAYS)
    assert remind_reports_overdue(last_day) == 0
    assert remind_reports_overdue(last_day + timedelta(days=1)) == 1
    assert remind_reports_overdue(last_day + timedelta(days=2)) == 0
    second = outbox("grants.report_overdue")[1]
    assert second.context["sent_back"] is True and second.context["deadline"] == last_day.isoformat()
    _subject, text, _html = render_notification(second)
    assert "sent back for changes" in text and final.kind == "final"


def test_the_closed_message_and_the_tranche_payment_show_dates_in_the_readers_language(db, outbox):
    from cade.grants.tranches import PaymentInput, pay_tranche, tranches_of
    from tests.factories import UserFactory as Users

    from tests.diligence.payee_helpers import ready_to_pay

    grant, _owner = opened_grant(owner_locale="fr")
    admin = Users(roles=["admin"])
    ready_to_pay(grant.organisation, grant.call.programme)
    pay_tranche(admin, tranches_of(grant)[0].id,
                PaymentInput.from_input({"paid_on": "2026-11-25", "reference": "W-1"}, today=date(2026, 12, 5)))
    _db.session.commit()
    [row] = outbox("grants.tranche_paid")
    _subject, text, html = render_notification(row)
    assert "25 novembre 2026" in text and "25 novembre 2026" in html and "2026-11-25" not in text + html
