"""Owners are told 30, 14 and 3 days before a verified document expires, once each (issue 12, item 1)."""

from datetime import timedelta

from sqlalchemy import select

from cade.core.reminders import sweeps
from cade.diligence.constants import DocumentKind, DocumentStatus
from cade.diligence.reminders import remind_expiring_documents, threshold_for
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from tests.diligence.documents_helpers import days, document, organisation_with_people, today
from tests.factories import MembershipFactory, UserFactory

KIND = "diligence.document_expiring"


def keys() -> list[str]:
    return list(_db.session.scalars(select(Notification.idempotency_key).where(Notification.kind == KIND)
                                    .order_by(Notification.id)))


def run_on(day) -> int:
    queued = remind_expiring_documents(day)
    _db.session.commit()
    return queued


def test_the_threshold_is_the_smallest_at_or_above_the_days_left():
    assert [threshold_for(n) for n in (31, 30, 15, 14, 4, 3, 0)] == [None, 30, 30, 14, 14, 3, 3]


def test_each_owner_is_told_once_at_30_14_and_3_days(db):
    organisation, owner, _member = organisation_with_people()
    second = UserFactory(name="Fatou Sow")
    MembershipFactory(user=second, organisation=organisation, role="owner")
    doc = document(organisation, expires_on=days(30))
    start = today()
    sent = [run_on(start + timedelta(days=offset)) for offset in range(0, 31)]
    # Two owners, three thresholds: on day 0 (30 left), day 16 (14 left) and day 27 (3 left); nothing twice.
    assert sum(sent) == 6 and [i for i, n in enumerate(sent) if n] == [0, 16, 27]
    assert sorted(keys()) == sorted(f"document-expiring:{doc.id}:{t}:{u.id}" for t in (30, 14, 3)
                                    for u in (owner, second))
    assert run_on(start + timedelta(days=27)) == 0  # a second run the same day


def test_a_missed_day_is_made_up_and_a_late_document_gets_only_the_nearest_reminder(db):
    organisation, owner, _member = organisation_with_people()
    doc = document(organisation, expires_on=days(10))
    assert run_on(today()) == 1 and keys() == [f"document-expiring:{doc.id}:14:{owner.id}"]
    assert run_on(days(8)) == 1  # 2 days left: the 3-day reminder, though the beat missed day 7
    assert run_on(days(11)) == 0  # expired: nothing more to remind


def test_only_verified_current_documents_of_the_organisation_reach_its_owners(db):
    organisation, owner, member = organisation_with_people()
    document(organisation, DocumentKind.STATUTES, status=DocumentStatus.PENDING, expires_on=days(3))
    document(organisation, DocumentKind.BANK_LETTER, status=DocumentStatus.REFUSED, expires_on=days(3))
    document(organisation, expires_on=days(3))
    document(organisation, expires_on=days(400))  # already replaced by a verified one that lasts longer
    document(organisation, DocumentKind.AUDITED_ACCOUNTS, year=2025, expires_on=None)
    inactive = UserFactory(active=False)
    MembershipFactory(user=inactive, organisation=organisation, role="owner")
    assert run_on(today()) == 0
    assert not keys()


def test_the_reminder_names_the_document_and_its_day_and_links_the_documents_page(db):
    organisation, owner, _member = organisation_with_people()
    doc = document(organisation, DocumentKind.BANK_LETTER, expires_on=days(14))
    run_on(today())
    [notice] = _db.session.scalars(select(Notification).where(Notification.kind == KIND)).all()
    assert notice.recipient_id == owner.id and notice.context["expires_on"] == doc.expires_on.isoformat()
    subject, text, html = render_notification(notice)
    assert subject.startswith("Bank letter expires on ") and organisation.name in subject
    assert f"/organisations/{organisation.id}/documents" in text and html


def test_the_sweep_is_registered_and_the_daily_task_queues_and_commits(app, db):
    import tasks  # noqa: F401  (registers the tasks)

    assert sweeps["expiring documents"] is remind_expiring_documents
    organisation, owner, _member = organisation_with_people()
    document(organisation, expires_on=days(3))
    task = app.extensions["celery"].tasks["diligence.document_reminders"]
    assert task.apply().get() == 1 and task.apply().get() == 0
    _db.session.rollback()  # what the task committed stays
    assert len(keys()) == 1
