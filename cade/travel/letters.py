"""Visa support letters: issued for an approved trip whose traveller asked for one, checked in public, revoked.

A letter is a PDF (letter_pdf.py) in English and, when the event's language
is another language of the app, a second page in it. It carries a
verification code of 16 characters drawn by `secrets` from 31 letters and
digits that cannot be mistaken for one another (no 0/O, 1/I/L): about 79
bits, so codes cannot be guessed or enumerated. `VisaLetter.language` keeps
the language of its last page: "en" for a letter in English only, else the
event's language of its second page. The public page
`/visa-letters/<code>` confirms the traveller's name, the event, its dates
and the organisation, never the passport country.

The PDF names the passport country: only the organisation's owners, the
traveller and administrators may download it; for anyone else the letter
does not exist (NotFound).
"""

import io
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.services.decisions import decision_for
from cade.core.after_commit import on_rollback
from cade.core.audit import record_event
from cade.core.commands import Command, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied
from cade.core.permissions import is_admin
from cade.core.storage import get_storage
from cade.extensions import db
from cade.organisations.constants import MembershipRole
from cade.organisations.services.queries import membership_of
from cade.travel.models import Trip, VisaLetter

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
# A letter's decision is an approval the traveller has heard of, not declined or lapsed since.
APPROVED_STATUSES = (DecisionStatus.RELEASED, DecisionStatus.ACCEPTED)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").upper()


# ---------------------------------------------------------------- who may do what


def _is_owner(user, trip: Trip) -> bool:
    membership = membership_of(user, trip.application.organisation_id)
    return membership is not None and membership.role == MembershipRole.OWNER


def _is_traveller(user, trip: Trip) -> bool:
    return trip.traveller_user_id is not None and trip.traveller_user_id == getattr(user, "id", None)


def can_read_letter(user, trip: Trip) -> bool:
    """The organisation's owners, the traveller and administrators read a trip's letters (they name the passport)."""
    if user is None or not getattr(user, "is_authenticated", False) or trip is None:
        return False
    return is_admin(user) or _is_owner(user, trip) or _is_traveller(user, trip)


def can_issue_letter(user, trip: Trip) -> bool:
    """An owner of the traveller's organisation or an administrator issues the letter."""
    if user is None or not getattr(user, "is_authenticated", False) or trip is None:
        return False
    return is_admin(user) or _is_owner(user, trip)


def can_revoke_letter(user) -> bool:
    return is_admin(user)


# ---------------------------------------------------------------- reading


def readable_trip(actor, trip_id: int) -> Trip:
    """The trip whose letters `actor` may read; NotFound otherwise (another organisation's trip does not exist)."""
    trip = db.session.get(Trip, trip_id)
    if trip is None or not can_read_letter(actor, trip):
        raise NotFound()
    return trip


def is_approved(trip: Trip) -> bool:
    """Whether the trip's award has been released to the applicant (and not declined or lapsed since)."""
    decision = decision_for(trip.application_id)
    return (decision is not None and decision.outcome == DecisionOutcome.AWARD
            and decision.status in APPROVED_STATUSES)


def letters_of(trip: Trip) -> list[VisaLetter]:
    """The trip's letters, newest first (revoked ones too)."""
    return list(db.session.scalars(select(VisaLetter).where(VisaLetter.trip_id == trip.id)
                                   .order_by(VisaLetter.issued_at.desc(), VisaLetter.id.desc())))


def current_letter(trip: Trip) -> VisaLetter | None:
    """The trip's letter in force (not revoked), or None."""
    return db.session.scalar(select(VisaLetter).where(VisaLetter.trip_id == trip.id, VisaLetter.revoked_at.is_(None))
                             .order_by(VisaLetter.id.desc()).limit(1))


def letter_by_code(code: str) -> VisaLetter | None:
    code = normalise_code(code)
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(VisaLetter).where(VisaLetter.code == code))


def open_letter(actor, letter_id: int):
    """(the letter, its PDF as a binary stream the caller closes) for those who may read it; NotFound otherwise."""
    letter = db.session.get(VisaLetter, letter_id)
    if letter is None or not can_read_letter(actor, letter.trip):
        raise NotFound()
    try:
        return letter, get_storage().open(letter.stored_name)
    except FileNotFoundError:
        raise NotFound() from None


# ---------------------------------------------------------------- issuing and revoking


def issue_letter(actor, trip_id: int) -> VisaLetter:
    """The trip's visa letter in force, or a new one: its PDF drawn, stored and audited. Flushes.

    Raises NotFound (no such trip, or another organisation's), PermissionDenied
    (a member who is not an owner, or the traveller who is not one),
    InvalidTransition (the trip is not approved yet, or its approval was
    declined or lapsed; the traveller asked for no letter; no passport country).
    The PDF is deleted again if the transaction rolls back.
    """
    from cade.travel.letter_pdf import letter_pdf, letter_languages

    trip = db.session.get(Trip, trip_id)
    if trip is None or not can_read_letter(actor, trip):
        raise NotFound()
    if not can_issue_letter(actor, trip):
        raise PermissionDenied(_l("Only an owner of %(organisation)s or the programme team can issue the letter.",
                                  organisation=trip.application.organisation.name))
    if not is_approved(trip):
        raise InvalidTransition(_l("A visa letter can be issued only for an approved trip, once the approval has "
                                   "been sent to the traveller."))
    if not trip.wants_visa_letter:
        raise InvalidTransition(_l("The traveller did not ask for a visa letter."))
    if not trip.passport_country or trip.event is None:
        raise InvalidTransition(_l("The letter needs the traveller's passport country and the event."))
    existing = current_letter(trip)
    if existing is not None:
        return existing
    code = new_code()
    while db.session.scalar(select(VisaLetter.id).where(VisaLetter.code == code)) is not None:
        code = new_code()
    now = utcnow()
    languages = letter_languages(trip)
    pdf = letter_pdf(trip, code, now, languages)
    storage = get_storage()
    stored = storage.put(io.BytesIO(pdf))
    on_rollback(lambda: storage.delete(stored.name))  # a row rolled back leaves no file behind
    letter = VisaLetter(trip_id=trip.id, code=code, language=languages[-1], stored_name=stored.name,
                        size=stored.size, sha256=stored.sha256, issued_at=now, issued_by_id=actor.id)
    db.session.add(letter)
    db.session.flush()
    record_event(actor, "visa_letter.issued", letter, None,
                 {"trip_id": trip.id, "code": code, "languages": languages, "sha256": stored.sha256})
    return letter


@dataclass(frozen=True)
class RevokeLetterInput(Command):
    reason: str | None = field(Text(max_len=2000, required=True))


def revoke_letter(actor, letter_id: int, command: RevokeLetterInput) -> VisaLetter:
    """Revoke a letter with a reason (compare-and-set: a second revocation is refused); its page then says 410.

    Raises PermissionDenied (not an admin), NotFound, InvalidTransition (already revoked).
    """
    if not can_revoke_letter(actor):
        raise PermissionDenied()
    letter = db.session.get(VisaLetter, letter_id)
    if letter is None:
        raise NotFound()
    now = utcnow()
    moved = db.session.execute(
        update(VisaLetter).where(VisaLetter.id == letter.id, VisaLetter.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=command.reason)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(letter)
    if not moved:
        raise InvalidTransition(_l("This letter has already been revoked."))
    record_event(actor, "visa_letter.revoked", letter, {"revoked_at": None},
                 {"revoked_at": now.isoformat(), "reason": command.reason})
    return letter
