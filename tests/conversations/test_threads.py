"""Each application's thread (and its grant's): who reads and writes it, its files, the audit trail, sharing."""

import io

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.conversations.constants import MessageSide, ThreadTopic
from cade.conversations.models import Message, MessageAttachment, MessageThread
from cade.conversations.threads import (
    MessageInput,
    Upload,
    open_message_attachment,
    post_message,
    share_message,
    shared_messages,
)
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected, ValidationFailed
from cade.extensions import db as _db
from tests.applications.files import make_pdf
from tests.factories import ApplicationFactory


def _post(actor, application, body="When is the next payment?", topic=ThreadTopic.APPLICATION, files=()):
    message = post_message(actor, application.id, topic, MessageInput.from_input({"body": body}),
                           [Upload(io.BytesIO(content), name) for name, content in files])
    _db.session.commit()
    return message


def _stored(storage_path) -> set:
    return {path for path in storage_path.rglob("*") if path.is_file()}


def test_a_member_writes_the_programme_is_told_and_the_audit_trail_keeps_the_text(application, owner, admin,
                                                                                  outbox):
    message = _post(owner, application)
    assert message.side == MessageSide.ORGANISATION
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "message.posted"))
    assert event.after["body"] == "When is the next payment?" and event.actor_id == owner.id
    told = outbox("conversations.message_posted")
    assert [row.recipient_id for row in told] == [admin.id]
    assert told[0].context["excerpt"] == "When is the next payment?"


def test_staff_write_and_every_member_is_told(application, owner, colleague, admin, outbox):
    message = _post(admin, application, body="Please send the quotes.")
    assert message.side == MessageSide.PROGRAMME
    assert sorted(row.recipient_id for row in outbox("conversations.message_posted")) == sorted(
        [owner.id, colleague.id])


def test_a_message_needs_text(application, owner):
    with pytest.raises(ValidationFailed) as refused:
        MessageInput.from_input({"body": "   "})
    assert set(refused.value.errors) == {"body"}


def test_files_are_checked_by_content_and_a_refused_one_keeps_nothing(application, owner, storage_path):
    before = _stored(storage_path)
    with pytest.raises(UploadRejected) as refused:
        _post(owner, application, files=[("quote.pdf", make_pdf()), ("quote2.pdf", b"MZ\x90\x00 not a pdf")])
    assert refused.value.field == "files" and "quote2.pdf" in str(refused.value)
    _db.session.rollback()
    assert _stored(storage_path) == before
    assert _db.session.scalar(select(func.count()).select_from(Message)) == 0

    message = _post(owner, application, files=[("quote.pdf", make_pdf())])
    [attachment] = message.attachments
    assert (attachment.content_type, attachment.uploaded_by_id) == ("application/pdf", owner.id)


def test_too_many_or_too_large_files_are_refused(app, application, owner, monkeypatch):
    with pytest.raises(UploadRejected):
        _post(owner, application, files=[(f"f{n}.pdf", make_pdf()) for n in range(6)])
    _db.session.rollback()
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 10)
    with pytest.raises(UploadRejected) as refused:
        _post(owner, application, files=[("big.pdf", make_pdf())])
    assert "too large" in str(refused.value)


@pytest.mark.parametrize("who", ["stranger", "reviewer"])
def test_other_organisations_and_reviewers_find_no_thread(request, application, owner, who):
    message = _post(owner, application, files=[("quote.pdf", make_pdf())])
    actor = request.getfixturevalue(who)
    with pytest.raises(NotFound):
        _post(actor, application)
    with pytest.raises(NotFound):
        open_message_attachment(actor, message.attachments[0].id)


def test_a_draft_has_no_thread_and_a_withdrawn_application_takes_no_more_messages(call, organisation, owner):
    draft = ApplicationFactory(call=call, organisation=organisation)
    with pytest.raises(NotFound):
        _post(owner, draft)
    withdrawn = ApplicationFactory(call=call, organisation=organisation, submitted=True,
                                   status=ApplicationStatus.WITHDRAWN)
    with pytest.raises(InvalidTransition):
        _post(owner, withdrawn)


def test_the_grant_thread_opens_once_the_application_is_awarded(application, owner):
    with pytest.raises(NotFound):
        _post(owner, application, topic=ThreadTopic.GRANT)
    _db.session.rollback()
    application.status = ApplicationStatus.AWARDED
    _db.session.commit()
    _post(owner, application, topic=ThreadTopic.GRANT)
    _post(owner, application)
    topics = _db.session.scalars(select(MessageThread.topic).order_by(MessageThread.topic)).all()
    assert topics == ["application", "grant"]
    with pytest.raises(NotFound):
        _post(owner, application, topic="gossip")


def test_an_admin_shares_a_message_with_the_reviewers_once_audited(application, owner, admin, reviewer):
    message = _post(owner, application, files=[("quote.pdf", make_pdf())])
    attachment_id = message.attachments[0].id
    with pytest.raises(NotFound):
        open_message_attachment(reviewer, attachment_id)
    with pytest.raises(PermissionDenied):
        share_message(owner, message.id)
    share_message(admin, message.id)
    _db.session.commit()
    share_message(admin, message.id)  # twice: nothing more
    _db.session.commit()
    assert [m.id for m in shared_messages(application.id)] == [message.id]
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.verb == "message.shared")) == 1
    found, stream = open_message_attachment(reviewer, attachment_id)
    stream.close()
    assert found.id == attachment_id


def test_grant_messages_are_never_shared_with_reviewers(application, owner, admin):
    application.status = ApplicationStatus.AWARDED
    _db.session.commit()
    message = _post(owner, application, topic=ThreadTopic.GRANT)
    with pytest.raises(InvalidTransition):
        share_message(admin, message.id)


def test_a_stranger_probing_ids_finds_nothing(application, owner, stranger):
    message = _post(owner, application)
    with pytest.raises(NotFound):
        share_message(stranger, message.id)
    with pytest.raises(NotFound):
        open_message_attachment(stranger, 999_999)
    assert _db.session.scalar(select(func.count()).select_from(MessageAttachment)) == 0


def test_the_same_words_sent_twice_in_a_row_make_one_message(application, owner, admin, outbox):
    first = _post(owner, application, body="Is the report template ready?")
    again = _post(owner, application, body="Is the report template ready?")
    assert again.id == first.id
    assert len(outbox("conversations.message_posted")) == 1
    assert _post(owner, application, body="And the budget one?").id != first.id
