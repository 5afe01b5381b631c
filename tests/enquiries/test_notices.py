"""Corrigenda and deadline extensions: numbered per call and dated; every member of every organisation with a draft
told once, in their language, in a fixed number of queries; an extension moves the deadline later (typed in the
call's time zone, audited before and after) and is refused once the call has closed."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from cade.applications.services.reminders import queue_call_closing_reminders
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, PermissionDenied, ValidationFailed
from cade.enquiries import notices
from cade.enquiries.constants import NoticeKind
from cade.extensions import db as _db
from cade.notifications.rendering import render_notification
from tests.enquiries.conftest import extension_input
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory, OrganisationFactory, UserFactory


def corrigendum(call, body="Annex 2 replaces the budget template.", **values):
    return notices.CorrigendumInput.from_input({"body": body, **values}, language=call.language)


def organisation_with(call, members: int, **application):
    organisation = OrganisationFactory()
    people = [MembershipFactory(organisation=organisation).user for _ in range(members)]
    ApplicationFactory(call=call, organisation=organisation, **application)
    return organisation, people


def test_a_corrigendum_is_numbered_dated_and_told_to_every_member_holding_a_draft(call, admin, outbox):
    _org, drafting = organisation_with(call, 2)
    french = UserFactory(locale="fr")
    MembershipFactory(organisation=_org, user=french)
    organisation_with(call, 1, submitted=True)  # submitted: not told
    organisation_with(CallFactory(), 1)  # a draft on another call: not told
    disabled = UserFactory(active=False)
    MembershipFactory(organisation=_org, user=disabled)

    notice = notices.publish_corrigendum(admin, call.id, corrigendum(call, body_fr="L'annexe 2 remplace le modèle."))
    _db.session.commit()

    assert (notice.number, notice.kind, notice.published_by_id) == (1, NoticeKind.CORRIGENDUM, admin.id)
    assert notice.translations == {"fr": {"body": "L'annexe 2 remplace le modèle."}}
    told = outbox("enquiries.corrigendum")
    assert sorted(row.recipient_id for row in told) == sorted(user.id for user in [*drafting, french])
    assert {row.idempotency_key for row in told} == {f"notice:{notice.id}:{row.recipient_id}" for row in told}
    in_french = next(row for row in told if row.recipient_id == french.id)
    assert in_french.locale == "fr"
    subject, text, _html = render_notification(in_french)
    assert "L'annexe 2 remplace le modèle." in text and "Annex 2" not in text
    assert f"/calls/{call.id}#notice-1" in text
    [audit] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "call_notice.corrigendum"))
    assert audit.after["number"] == 1 and audit.after["call_id"] == call.id


def test_a_person_in_two_organisations_with_drafts_is_told_once(call, admin, outbox):
    first, people = organisation_with(call, 1)
    second, _others = organisation_with(call, 1)
    MembershipFactory(organisation=second, user=people[0])
    notices.publish_corrigendum(admin, call.id, corrigendum(call))
    assert len(outbox("enquiries.corrigendum", email=people[0].email)) == 1
    assert len(outbox("enquiries.corrigendum")) == 2


def selects_while(run) -> int:
    selects = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    return len(selects)


def test_telling_the_drafts_reads_the_same_whatever_their_number(call, admin, outbox):
    organisation_with(call, 2)
    few = selects_while(lambda: notices.publish_corrigendum(admin, call.id, corrigendum(call)))
    for _ in range(4):
        organisation_with(call, 3)
    _db.session.expire_all()
    many = selects_while(lambda: notices.publish_corrigendum(admin, call.id, corrigendum(call, "Another.")))
    assert many == few
    assert len(outbox("enquiries.corrigendum")) == 2 + 14


def test_an_extension_moves_the_deadline_later_through_the_call_service(call, admin, outbox):
    call.closes_at = utcnow().replace(microsecond=0) + timedelta(days=3)
    _db.session.commit()
    _org, people = organisation_with(call, 1)
    previous = call.closes_at
    new_local = (previous + timedelta(days=14)).astimezone(timezone(timedelta(hours=3))).replace(tzinfo=None)

    notice = notices.extend_deadline(admin, call.id, extension_input(call, new_local, body="More time for annex 2."))
    _db.session.commit()

    assert call.closes_at == previous + timedelta(days=14)  # read in Nairobi (UTC+3)
    assert (notice.kind, notice.previous_closes_at, notice.new_closes_at) == (NoticeKind.EXTENSION, previous,
                                                                              call.closes_at)
    [changed] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "call.updated"))
    assert changed.before["closes_at"] == previous.isoformat()
    assert changed.after["closes_at"] == call.closes_at.isoformat()
    [told] = outbox("enquiries.extension")
    assert told.recipient_id == people[0].id
    assert told.context["previous_deadline"]["at"] == previous.isoformat()
    assert told.context["new_deadline"] == {"at": call.closes_at.isoformat(), "zone": "Africa/Nairobi"}
    subject, text, _html = render_notification(told)
    assert subject.startswith("Deadline extended") and "More time for annex 2." in text


def test_an_extension_not_later_than_the_deadline_is_refused_by_field(call, admin):
    local_deadline = call.closes_at.astimezone(timezone(timedelta(hours=3))).replace(tzinfo=None)
    with pytest.raises(ValidationFailed) as refused:
        notices.extend_deadline(admin, call.id, extension_input(call, local_deadline))
    assert "must be later than the current one" in str(refused.value.errors["new_closes_at"][0])
    with pytest.raises(ValidationFailed) as refused:
        extension_input(call, "")
    assert set(refused.value.errors) == {"new_closes_at"}


def test_an_extension_is_refused_once_the_call_has_closed(admin, outbox):
    closed = CallFactory(closed=True)
    organisation_with(closed, 1)
    with pytest.raises(DeadlinePassed, match="can no longer be extended"):
        notices.extend_deadline(admin, closed.id, extension_input(closed, datetime(2099, 1, 1, 12, 0)))
    assert outbox() == []


def test_notices_need_a_published_call_and_an_admin(call, admin):
    draft = CallFactory(draft=True)
    with pytest.raises(InvalidTransition, match="draft"):
        notices.publish_corrigendum(admin, draft.id, corrigendum(draft))
    with pytest.raises(PermissionDenied):
        notices.publish_corrigendum(UserFactory(), call.id, corrigendum(call))
    with pytest.raises(ValidationFailed) as refused:
        corrigendum(call, body=" ")
    assert set(refused.value.errors) == {"body"}


def test_corrigenda_and_extensions_share_one_numbering_per_call(call, admin):
    other = CallFactory()
    later = (call.closes_at + timedelta(days=7)).replace(tzinfo=None)
    numbers = [notices.publish_corrigendum(admin, call.id, corrigendum(call)).number,
               notices.extend_deadline(admin, call.id, extension_input(call, later)).number,
               notices.publish_corrigendum(admin, other.id, corrigendum(other)).number,
               notices.publish_corrigendum(admin, call.id, corrigendum(call, "Third.")).number]
    assert numbers == [1, 2, 1, 3]
    assert [n.number for n in notices.notices_of(call.id)] == [1, 2, 3]


def test_after_an_extension_the_closing_reminder_fires_again_for_the_new_deadline(call, admin, outbox):
    call.closes_at = utcnow() + timedelta(days=5)
    _db.session.commit()
    organisation_with(call, 1)
    assert queue_call_closing_reminders() == 1
    later = (call.closes_at + timedelta(days=14)).astimezone(timezone(timedelta(hours=3))).replace(tzinfo=None)
    notices.extend_deadline(admin, call.id, extension_input(call, later))
    _db.session.commit()

    assert queue_call_closing_reminders(now=utcnow() + timedelta(days=14)) == 1


def test_the_same_notice_sent_twice_is_published_once(call, admin, outbox):
    organisation_with(call, 1)
    first = notices.publish_corrigendum(admin, call.id, corrigendum(call))
    assert notices.publish_corrigendum(admin, call.id, corrigendum(call)).id == first.id
    later = (call.closes_at + timedelta(days=7)).replace(tzinfo=None)
    extension = notices.extend_deadline(admin, call.id, extension_input(call, later))
    assert notices.extend_deadline(admin, call.id, extension_input(call, later)).id == extension.id
    assert [n.number for n in notices.notices_of(call.id)] == [1, 2]
    assert len(outbox()) == 2
    third = notices.publish_corrigendum(admin, call.id, corrigendum(call))  # the same text again, later on
    assert third.number == 3
