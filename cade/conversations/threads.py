"""Each application's message thread (and its grant's, once awarded) between the organisation and the programme.

A thread is made the first time something is said in it. Every message is written to the audit trail with its
text and the digests of its files, and the other side is told (the organisation's members, or the admins).
Files are checked by their bytes and limited in size as an application's are. Reviewers read a message only
once an admin shares it, and then, in a blind call, without the organisation's or the author's name.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cade.applications.constants import ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS
from cade.applications.models import Application
from cade.applications.services.attachments import EXTENSIONS
from cade.conversations.constants import MESSAGE_MAX_CHARS, MESSAGE_MAX_FILES, MessageSide, ThreadTopic
from cade.conversations.models import Message, MessageAttachment, MessageThread
from cade.conversations.permissions import can_post_message, can_share_message, can_view_thread, reviewing_assignment
from cade.core.after_commit import on_rollback
from cade.core.audit import record_event
from cade.core.commands import Command, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected
from cade.core.storage import get_storage
from cade.core.templating import file_size
from cade.core.timeutil import moment_json
from cade.core.uploads import display_name, download_name, sniff_content_type
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.services import is_member
from cade.organisations.services.queries import members_of_organisations

# What a notification quotes of a message: enough to know what it is about, the rest is on the page.
EXCERPT_CHARS = 500
# The same words by the same person within this time are one message sent twice.
REPEAT_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class MessageInput(Command):
    body: str | None = field(Text(max_len=MESSAGE_MAX_CHARS, required=True))


@dataclass(frozen=True)
class Upload:
    """A file as a boundary received it: its bytes and the name the browser gave."""

    stream: BinaryIO
    filename: str | None


def load_for_thread(actor, application_id: int, topic: str) -> Application:
    """The application whose `topic` thread `actor` may read; NotFound for anyone else (or an unknown topic)."""
    application = db.session.get(Application, application_id)
    if topic not in set(ThreadTopic) or not can_view_thread(actor, application, topic):
        raise NotFound()
    return application


def thread_of(application_id: int, topic: str) -> MessageThread | None:
    """The thread, its messages, their authors and files loaded (a fixed number of queries); None before any."""
    return db.session.scalar(
        select(MessageThread).where(MessageThread.application_id == application_id, MessageThread.topic == topic)
        .options(selectinload(MessageThread.messages).selectinload(Message.attachments),
                 selectinload(MessageThread.messages).selectinload(Message.author)))


def thread_summary(application_id: int, topic: str = ThreadTopic.APPLICATION) -> tuple[int, object]:
    """(how many messages, when the last was written) of the thread, in one query."""
    count, last = db.session.execute(
        select(func.count(Message.id), func.max(Message.created_at)).join(MessageThread)
        .where(MessageThread.application_id == application_id, MessageThread.topic == topic)).one()
    return count or 0, last


def post_message(actor, application_id: int, topic: str, command: MessageInput,
                 files: Iterable[Upload] = ()) -> Message:
    """Write a message (with files) in the application's `topic` thread; audited `message.posted`; the other side told.

    Raises NotFound (may not read the thread), InvalidTransition (the application was withdrawn) and
    UploadRejected (field "files": too many, too large, or not an accepted type by content); nothing is
    kept then.
    """
    application = load_for_thread(actor, application_id, topic)
    if not can_post_message(actor, application, topic):
        raise InvalidTransition(_l("This application was withdrawn: its conversation is closed."))
    side = MessageSide.ORGANISATION if is_member(actor, application.organisation_id) else MessageSide.PROGRAMME
    files = list(files)
    repeated = None if files else _just_sent(actor, application.id, topic, command.body)
    if repeated is not None:
        return repeated  # the same words sent again a moment later (a double click, a reload): one message
    stored = _store(files)
    message = add_message(actor, application, topic, side, command.body, attachments=stored)
    _tell_other_side(message, application)
    return message


def _just_sent(actor, application_id: int, topic: str, body: str) -> Message | None:
    last = db.session.scalar(
        select(Message).join(MessageThread)
        .where(MessageThread.application_id == application_id, MessageThread.topic == topic,
               Message.author_id == actor.id)
        .order_by(Message.id.desc()).limit(1))
    if last is not None and last.body == body and utcnow() - last.created_at < REPEAT_WINDOW:
        return last
    return None


def add_message(actor, application: Application, topic: str, side: str, body: str, *,
                clarification_id: int | None = None, attachments: Iterable[MessageAttachment] = ()) -> Message:
    """Add a message to the thread (made if there is none yet); audited `message.posted`. Tells nobody."""
    thread = _thread(application, topic)
    attachments = list(attachments)
    for attachment in attachments:
        attachment.uploaded_by_id = actor.id
    message = Message(thread_id=thread.id, author_id=actor.id, side=side, body=body,
                      clarification_id=clarification_id, attachments=attachments)
    db.session.add(message)
    db.session.flush()
    record_event(actor, "message.posted", message, after={
        "application_id": application.id, "topic": topic, "side": side, "body": body,
        "clarification_id": clarification_id,
        "files": [{"name": a.original_name, "size": a.size, "sha256": a.sha256} for a in message.attachments]})
    return message


def _thread(application: Application, topic: str) -> MessageThread:
    found = db.session.scalar(select(MessageThread).where(MessageThread.application_id == application.id,
                                                          MessageThread.topic == topic))
    if found is not None:
        return found
    thread = MessageThread(application_id=application.id, topic=topic)
    try:
        # Two first messages at once: the unique constraint keeps one thread, and the second joins it.
        with db.session.begin_nested():
            db.session.add(thread)
            db.session.flush()
    except IntegrityError:
        return db.session.scalar(select(MessageThread).where(MessageThread.application_id == application.id,
                                                             MessageThread.topic == topic))
    return thread


def _store(files: list[Upload]) -> list[MessageAttachment]:
    """Keep the chosen files (rows not yet added); UploadRejected (field "files"), keeping none, for any refused."""
    files = [upload for upload in files if upload.filename]
    if len(files) > MESSAGE_MAX_FILES:
        raise UploadRejected(_("Send at most %(n)d files with one message.", n=MESSAGE_MAX_FILES), field="files")
    config = current_app.config
    per_file, per_message = config["ATTACHMENT_MAX_BYTES"], config["APPLICATION_ATTACHMENTS_MAX_BYTES"]
    storage = get_storage()
    kept: list[MessageAttachment] = []
    try:
        for upload in files:
            kept.append(_store_one(storage, upload, per_file))
        if sum(attachment.size for attachment in kept) > per_message:
            raise UploadRejected(_("The files of one message can be at most %(size)s together.",
                                   size=file_size(per_message)), field="files")
    except BaseException:
        for attachment in kept:
            storage.delete(attachment.stored_name)
        raise
    for attachment in kept:
        on_rollback(lambda name=attachment.stored_name: storage.delete(name))
    return kept


def _store_one(storage, upload: Upload, per_file: int) -> MessageAttachment:
    name = display_name(upload.filename)
    try:
        stored = storage.put(upload.stream, per_file)
    except OverflowError:
        raise UploadRejected(_("%(name)s is too large: files can be at most %(size)s each.", name=name,
                               size=file_size(per_file)), field="files") from None
    try:
        if stored.size == 0:
            raise UploadRejected(_("%(name)s is empty.", name=name), field="files")
        with storage.open(stored.name) as stream:
            content_type = sniff_content_type(stream, ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS, _(
                "%(name)s cannot be sent: only PDF, Word (DOCX), Excel (XLSX), OpenDocument text (ODT), PNG and "
                "JPEG files can, by their content, whatever their name says.", name=name))
    except UploadRejected as error:
        storage.delete(stored.name)
        error.field = "files"
        raise
    except BaseException:
        storage.delete(stored.name)
        raise
    return MessageAttachment(stored_name=stored.name, original_name=name, content_type=content_type,
                             size=stored.size, sha256=stored.sha256, uploaded_at=utcnow())


def _tell_other_side(message: Message, application: Application) -> None:
    from cade.accounts.services.administration import active_admins

    author = message.author
    if message.side == MessageSide.ORGANISATION:
        recipients = active_admins()
    else:
        recipients = members_of_organisations([application.organisation_id]).get(application.organisation_id, [])
    body = message.body if len(message.body) <= EXCERPT_CHARS else message.body[:EXCERPT_CHARS].rstrip() + "…"
    context = {"application_id": application.id, "topic": message.thread.topic, "side": message.side,
               "reference": application.reference or "", "title": application.title,
               "call_title": application.call.title, "organisation_name": application.organisation.name,
               "author_name": author.name if author else "", "excerpt": body,
               "files": len(message.attachments),
               "at": moment_json(message.created_at, application.call.timezone)}
    for user in recipients:
        if user.id == getattr(author, "id", None):
            continue
        notify("conversations.message_posted", recipient=user, locale=user.locale, context=context,
               key=f"message:{message.id}:{user.id}")


def share_message(actor, message_id: int) -> Message:
    """Share a message of an application's thread with the application's reviewers; audited `message.shared`.

    Raises PermissionDenied (not an admin), NotFound, InvalidTransition (a grant's thread: it has no
    reviewers). Sharing twice changes nothing.
    """
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound()
    if not can_view_thread(actor, message.thread.application, message.thread.topic):
        raise NotFound()
    if message.shared_at is not None:
        return message
    if not can_share_message(actor, message):
        if message.thread.topic != ThreadTopic.APPLICATION:
            raise InvalidTransition(_l("Only messages about the application can be shared with its reviewers."))
        raise PermissionDenied()
    message.shared_at, message.shared_by_id = utcnow(), actor.id
    db.session.flush()
    record_event(actor, "message.shared", message, after={"application_id": message.thread.application_id})
    return message


def shared_messages(application_id: int) -> list[Message]:
    """The messages of the application's thread that admins shared with its reviewers, oldest first."""
    return list(db.session.scalars(
        select(Message).join(MessageThread)
        .where(MessageThread.application_id == application_id, MessageThread.topic == ThreadTopic.APPLICATION,
               Message.shared_at.is_not(None))
        .options(selectinload(Message.attachments), selectinload(Message.author))
        .order_by(Message.id)))


def open_message_attachment(actor, attachment_id: int) -> tuple[MessageAttachment, BinaryIO]:
    """A file of a message and a stream of its bytes: for those who read the thread, and for the application's
    reviewers once the message is shared; NotFound for anyone else."""
    attachment = db.session.get(MessageAttachment, attachment_id)
    if attachment is None:
        raise NotFound()
    thread = attachment.message.thread
    application = thread.application
    readable = can_view_thread(actor, application, thread.topic) or (
        attachment.message.shared_at is not None and thread.topic == ThreadTopic.APPLICATION
        and reviewing_assignment(actor, application) is not None)
    if not readable:
        raise NotFound()
    try:
        return attachment, get_storage().open(attachment.stored_name)
    except FileNotFoundError:
        raise NotFound() from None


def attachment_download_name(attachment: MessageAttachment, blind: bool = False) -> str:
    """The name a file is saved under: its own (blind: a number), ending in the extension of its type."""
    name = f"attachment-{attachment.id}" if blind else attachment.original_name
    return download_name(name, EXTENSIONS.get(attachment.content_type, ()))
