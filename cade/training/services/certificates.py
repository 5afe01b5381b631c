"""Certificates: issued once per person and course on completion, checked in public by code, revoked by admins.

The code is 12 characters drawn by `secrets` from 31 letters and digits that
cannot be mistaken for one another when read aloud or copied from paper (no
0/O, 1/I/L): about 59 bits, so codes cannot be guessed or enumerated. A code
is read back without regard to case or spaces.
"""

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from cade.core.audit import record_event
from cade.core.commands import Command, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.notifications.services import notify
from cade.programmes.services.common import get_or_raise
from cade.training.models import Certificate, Course, Enrolment
from cade.training.services.common import require_admin

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").upper()


def issue_certificate(actor, user_id: int, course: Course, enrolment: Enrolment | None) -> Certificate:
    """The person's certificate of `course`: the one they hold, or a new one, audited and announced.

    The caller holds the course's row lock, so two saves never both create one; the unique
    (user, course) constraint is the backstop.
    """
    existing = db.session.scalar(select(Certificate).where(Certificate.user_id == user_id,
                                                           Certificate.course_id == course.id))
    if existing is not None:
        return existing
    code = new_code()
    while db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is not None:
        code = new_code()  # 59 bits: practically never taken, but never issued twice
    organisation = enrolment.organisation if enrolment is not None else None
    certificate = Certificate(user_id=user_id, course=course, code=code, issued_at=utcnow(),
                              organisation_id=getattr(organisation, "id", None),
                              organisation_name=getattr(organisation, "display_name", None))
    db.session.add(certificate)
    db.session.flush()
    record_event(actor, "certificate.issued", certificate, None,
                 {"user_id": user_id, "course_id": course.id, "code": code})
    user = certificate.user
    notify("training.certificate_issued", recipient=user, locale=user.locale,
           key=f"training.certificate_issued:{certificate.id}",
           context={"certificate_id": certificate.id, "code": code, "course_id": course.id,
                    "course_title": course.title})
    if certificate.organisation_id is not None:
        # The organisation's capacity follow-up falls due a while after the course (once per course).
        from cade.training.assessments.services import schedule_follow_up

        schedule_follow_up(certificate.organisation_id, course.id)
    return certificate


def certificate_by_code(code: str) -> Certificate | None:
    code = normalise_code(code)
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def own_certificate(actor, certificate_id: int) -> Certificate:
    """The certificate if it is the actor's own (or the actor is an admin); NotFound otherwise."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or (certificate.user_id != getattr(actor, "id", None) and not is_admin(actor)):
        raise NotFound()
    return certificate


def my_certificates(user) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def course_certificates(course_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.course_id == course_id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def holds_certificate(user_id: int, course_id: int) -> bool:
    """Whether the person holds a valid (not revoked) certificate of the course."""
    return db.session.scalar(select(Certificate.id).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.revoked_at.is_(None)).limit(1)) is not None


@dataclass(frozen=True)
class RevokeInput(Command):
    reason: str | None = field(Text(max_len=2000, required=True))


def revoke_certificate(actor, certificate_id: int, command: RevokeInput) -> Certificate:
    """Revoke a certificate with a reason (compare-and-set: a second revocation is refused).

    Raises PermissionDenied, NotFound, ValidationFailed, InvalidTransition (already revoked).
    """
    require_admin(actor)
    certificate = get_or_raise(Certificate, certificate_id)
    now = utcnow()
    moved = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now, revocation_reason=command.reason, revoked_by_id=actor.id, updated_at=now)
        .execution_options(synchronize_session="fetch")).rowcount
    if not moved:
        db.session.refresh(certificate)
        raise InvalidTransition(_l("This certificate has already been revoked."))
    db.session.refresh(certificate)
    record_event(actor, "certificate.revoked", certificate, {"revoked_at": None},
                 {"revoked_at": now.isoformat(), "reason": command.reason})
    return certificate
