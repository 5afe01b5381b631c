"""A call's notices: a corrigendum, or a deadline extension that moves the call's deadline later.

Each is numbered per call and dated, shown on the call page, and told to every member of every organisation
holding a draft on the call, once per person and notice (key `notice:<id>:<user>`), in their language. The
deadline itself moves through the programmes service that changes calls (`update_call`), so its rules and its
audit row (the deadline before and after) are the same as for any change to a call.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.core.audit import record_event
from cade.core.commands import FieldErrors, Moment, Text, field
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, InvalidTransition, NotFound
from cade.core.permissions import require_admin
from cade.core.timeutil import format_in_zone, moment_json
from cade.enquiries.constants import NOTICE_MAX_CHARS, NoticeKind
from cade.enquiries.models import CallNotice
from cade.enquiries.numbering import lock_call, next_number
from cade.enquiries.texts import TranslatedCommand, Translations, texts_by_language
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.services.queries import members_of_organisations
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call
from cade.programmes.services.calls import CallInput, call_as_input, update_call


@dataclass(frozen=True)
class CorrigendumInput(TranslatedCommand):
    """What a corrigendum says, in the call's language (`language`, from the context) and others."""

    translated = ("body",)
    language: str = "en"
    body: str | None = field(Text(max_len=NOTICE_MAX_CHARS, required=True))
    translations: dict = field(Translations(("body",), NOTICE_MAX_CHARS), default_factory=dict)


@dataclass(frozen=True)
class ExtensionInput(TranslatedCommand):
    """The new deadline, typed in the call's time zone (`timezone`, from the context), and an optional word on
    why (the notice states the deadlines before and after in any case)."""

    translated = ("body",)
    language: str = "en"
    timezone: str = "UTC"
    new_closes_at: datetime | None = field(Moment())
    body: str | None = field(Text(max_len=NOTICE_MAX_CHARS, empty=""))
    translations: dict = field(Translations(("body",), NOTICE_MAX_CHARS), default_factory=dict)


def _call_for_notice(call_id: int) -> Call:
    if db.session.get(Call, call_id) is None:
        raise NotFound()
    lock_call(call_id)
    call = db.session.get(Call, call_id, populate_existing=True)
    if call.status != CallStatus.PUBLISHED:
        raise InvalidTransition(_l("Notices are published on a published call; a draft call is simply edited."))
    return call


def _repeated(call: Call, kind: NoticeKind, body: str, translations: dict, **deadlines) -> CallNotice | None:
    """The call's last notice when it says exactly this (the same form sent twice: a double click)."""
    last = db.session.scalar(select(CallNotice).where(CallNotice.call_id == call.id)
                             .order_by(CallNotice.number.desc()).limit(1))
    if last is None or (last.kind, last.body, last.translations or {}) != (kind, body, translations):
        return None
    if any(getattr(last, name) != value for name, value in deadlines.items()):
        return None
    return last


def _publish(actor, call: Call, kind: NoticeKind, body: str, translations: dict, now: datetime,
             **deadlines) -> CallNotice:
    notice = CallNotice(call_id=call.id, number=next_number(CallNotice, call.id), kind=kind, body=body,
                        translations=translations, published_by_id=actor.id, published_at=now, **deadlines)
    db.session.add(notice)
    db.session.flush()
    record_event(actor, f"call_notice.{kind}", notice, None, {
        "call_id": call.id, "number": notice.number, "body": body, "translations": translations,
        **{name: value.isoformat() for name, value in deadlines.items()}})
    _tell_drafts(call, notice)
    return notice


def publish_corrigendum(actor, call_id: int, command: CorrigendumInput, now: datetime | None = None) -> CallNotice:
    """Publish a corrigendum on a published call and tell the organisations holding a draft; the same text sent
    again right after (a double click) gives back the notice just published. Raises PermissionDenied, NotFound, InvalidTransition (the call is a draft)."""
    require_admin(actor)
    call = _call_for_notice(call_id)
    repeated = _repeated(call, NoticeKind.CORRIGENDUM, command.body, command.translations)
    if repeated is not None:
        return repeated
    return _publish(actor, call, NoticeKind.CORRIGENDUM, command.body, command.translations, now or utcnow())


def extend_deadline(actor, call_id: int, command: ExtensionInput, now: datetime | None = None) -> CallNotice:
    """Move an open call's deadline later, publish the extension, and tell the organisations holding a draft;
    the same extension sent again (a double click) gives back the notice just published.

    Raises PermissionDenied, NotFound, InvalidTransition (a draft call), DeadlinePassed (the call has closed:
    reopening it is not an extension), ValidationFailed (the new deadline is not later than the current one,
    or the call's own rules refuse it).
    """
    require_admin(actor)
    call = _call_for_notice(call_id)
    now = now or utcnow()
    repeated = _repeated(call, NoticeKind.EXTENSION, command.body, command.translations,
                         new_closes_at=command.new_closes_at)
    if repeated is not None:
        return repeated
    previous = call.closes_at
    if now >= previous:
        raise DeadlinePassed(_l("This call closed on %(deadline)s; its deadline can no longer be extended.",
                                deadline=format_in_zone(previous, call.timezone)))
    if command.new_closes_at <= previous:
        errors = FieldErrors()
        errors.add("new_closes_at", _l("The new deadline must be later than the current one, %(deadline)s.",
                                       deadline=format_in_zone(previous, call.timezone)))
        errors.raise_if_any()
    change = {**call_as_input(call), "closes_at": command.new_closes_at}
    update_call(actor, call.id, CallInput.from_input(change, currency=call.currency))
    return _publish(actor, call, NoticeKind.EXTENSION, command.body, command.translations, now,
                    previous_closes_at=previous, new_closes_at=command.new_closes_at)


def _tell_drafts(call: Call, notice: CallNotice) -> int:
    """Queue the notice to every member of every organisation with a draft on the call (two queries to find
    them, whatever their number); a person in two such organisations is told once. Returns how many."""
    organisation_ids = db.session.scalars(
        select(Application.organisation_id).where(Application.call_id == call.id,
                                                  Application.status == ApplicationStatus.DRAFT).distinct()
    ).all()
    people = {user.id: user for users in members_of_organisations(organisation_ids).values() for user in users}
    if not people:
        return 0
    context = {
        "call_id": call.id, "number": notice.number, "language": call.language,
        "published": moment_json(notice.published_at, call.timezone),
        "previous_deadline": moment_json(notice.previous_closes_at, call.timezone),
        "new_deadline": moment_json(notice.new_closes_at, call.timezone),
        "texts": texts_by_language({"call_title": (call, "title"), "body": (notice, "body")}),
    }
    for user in people.values():
        notify(f"enquiries.{notice.kind}", recipient=user, locale=user.locale, key=f"notice:{notice.id}:{user.id}",
               known_new=True, context=context)
    return len(people)


def notices_of(call_id: int) -> list[CallNotice]:
    """The call's notices, by number (one query)."""
    return list(db.session.scalars(select(CallNotice).where(CallNotice.call_id == call_id)
                                   .order_by(CallNotice.number)))
