"""Erasing a person at their request: personal fields pseudonymised, records funders keep kept, the person told.

What goes: the name and address (replaced by "Erased person <id>" and
erased-<id>@invalid, which no one can register or receive mail at), the
password (no password matches the stored value), the second factor, recovery
codes, remembered devices, API tokens, every session, roles and the reviewer
profile, memberships, the inbox and the outbox rows addressed to them, their
address on invitations and their identity on trips; their places in training
sessions still to come are cancelled, so the waiting list moves up. What stays, now under
the pseudonym: applications, reviews and their scores, decisions, grants,
messages, travel claims, training records, and the audit log, which is
append-only by design and names the person through their (now pseudonymised)
account row.

Refused (InvalidTransition, saying what to do) while the person is the only
owner of an organisation with an open grant: the grant needs someone who
answers for it. The only owner of an organisation with no open grant leaves
it without an owner: nobody is handed duties they did not accept; its other
members stay, and an administrator may name a new owner (the page says so
beforehand). The last active administrator is refused too.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from cade.accounts import passwords
from cade.accounts.models import ApiToken, RecoveryCode, RememberedDevice, User, UserRole
from cade.accounts.services import sign_out
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.conversations.models import ClarificationRequest, Message
from cade.core.audit import record_event
from cade.core.commands import Command, Flag, FieldErrors, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.core.permissions import ADMIN
from cade.enquiries.models import CallQuestion
from cade.extensions import db
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.notifications.models import Notification
from cade.notifications.services import notify
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Invitation, Membership, Organisation
from cade.privacy.constants import (
    ERASED_ADDRESS,
    PERSON_ERASED,
    PERSON_KEPT,
    PERSON_PSEUDONYM,
    UNUSABLE_PASSWORD,
)
from cade.reviews.models import ConflictDeclaration, Review, ReviewerInvitation, ReviewerProfile
from cade.training.constants import EnrolmentStatus
from cade.training.models import Certificate, Enrolment
from cade.training.services import cancel_enrolment
from cade.travel.models import Claim, Trip


@dataclass(frozen=True)
class ErasureInput(Command):
    """The current password, to prove who asks, and the tick that they understand it cannot be undone."""

    password: str | None = field(passwords.Password())
    understood: bool = field(Flag())

    def check(self, errors: FieldErrors) -> None:
        if not self.understood:
            errors.add("understood", _l("Tick the box to confirm that you understand erasure cannot be undone."))


@dataclass(frozen=True)
class ErasureOutcome:
    """What an erasure did, for the page shown afterwards: the keys of PERSON_ERASED and PERSON_KEPT that apply."""

    pseudonym: str
    erased: tuple[str, ...]
    kept: tuple[str, ...]
    ownerless: tuple[str, ...]  # names of the organisations left without an owner


def grant_is_open():
    """The grants domain's "open": a grant not closed yet (GRANT_MACHINE: active until closed)."""
    return Grant.status == GrantStatus.ACTIVE


def sole_ownerships(user: User) -> list[tuple[Organisation, bool]]:
    """The organisations `user` is the only owner of, each with whether it has an open grant (two queries)."""
    owned = select(Membership.organisation_id).where(Membership.user_id == user.id,
                                                      Membership.role == MembershipRole.OWNER)
    owners = (select(Membership.organisation_id, func.count().label("owners"))
              .where(Membership.role == MembershipRole.OWNER, Membership.organisation_id.in_(owned))
              .group_by(Membership.organisation_id).subquery())
    open_grant = select(Grant.id).where(Grant.organisation_id == Organisation.id, grant_is_open()).exists()
    rows = db.session.execute(
        select(Organisation, open_grant).join(owners, owners.c.organisation_id == Organisation.id)
        .where(owners.c.owners == 1).order_by(Organisation.name))
    return [(org, bool(is_open)) for org, is_open in rows]


def erasure_blockers(user: User) -> list[Organisation]:
    """The organisations whose open grant stops `user`'s erasure (they are its only owner)."""
    return [org for org, is_open in sole_ownerships(user) if is_open]


def kept_records(user: User) -> tuple[str, ...]:
    """Which kinds of record (PERSON_KEPT keys) the person has that erasure keeps; one query."""
    def exists(query):
        return query.exists()

    checks = {
        "applications": exists(select(Application.id).where(Application.created_by_id == user.id)),
        "reviews": or_(exists(select(Review.id).where(Review.reviewer_id == user.id)),
                       exists(select(ConflictDeclaration.id).where(ConflictDeclaration.reviewer_id == user.id))),
        "decisions": exists(select(Decision.id).where(or_(Decision.accepted_by_id == user.id,
                                                          Decision.declined_by_id == user.id,
                                                          Decision.decided_by_id == user.id))),
        "messages": or_(exists(select(Message.id).where(Message.author_id == user.id)),
                        exists(select(ClarificationRequest.id).where(ClarificationRequest.answered_by_id == user.id)),
                        exists(select(CallQuestion.id).where(CallQuestion.asked_by_id == user.id))),
        "travel": or_(exists(select(Trip.id).where(Trip.traveller_user_id == user.id)),
                      exists(select(Claim.id).where(Claim.submitted_by_id == user.id))),
        "training": or_(exists(select(Enrolment.id).where(Enrolment.user_id == user.id)),
                        exists(select(Certificate.id).where(Certificate.user_id == user.id))),
    }
    found = db.session.execute(select(*(check.label(key) for key, check in checks.items()))).one()._asdict()
    return tuple(key for key in PERSON_KEPT if key == "audit" or found.get(key))


def preview_erasure(user: User) -> ErasureOutcome:
    """What erasing `user` now would erase, keep and leave without an owner (for the confirmation page)."""
    return ErasureOutcome(pseudonym=PERSON_PSEUDONYM.format(id=user.id), erased=PERSON_ERASED,
                          kept=kept_records(user),
                          ownerless=tuple(org.name for org, is_open in sole_ownerships(user) if not is_open))


def erase_person(user: User, command: ErasureInput) -> ErasureOutcome:
    """Erase `user` at their own request, in the caller's transaction; return what was erased and kept.

    Checks the password (ValidationFailed on `password`), refuses with
    InvalidTransition while they are the only owner of an organisation with
    an open grant or the last active administrator, then queues the e-mail
    telling them what was erased and kept to the address they have now,
    pseudonymises them, ends every session and writes `user.erased` (no
    personal data in it). Flushes, never commits.
    """
    if user.erased_at is not None:
        raise InvalidTransition(_("This account has already been erased."))
    if not passwords.verify_password(user.password_hash, command.password):
        raise ValidationFailed({"password": [_l("Your password is not correct.")]})
    ownerships = sole_ownerships(user)
    for org, _is_open in ownerships:
        lock_row(Organisation, org.id)  # an owner added meanwhile, or a grant opened meanwhile, is seen below
    ownerships = sole_ownerships(user)
    blockers = [org.name for org, is_open in ownerships if is_open]
    if blockers:
        raise InvalidTransition(_(
            "You are the only owner of %(names)s, which has a grant still open. Make another member an owner "
            "(on the organisation's page), or wait until the grant is closed, then ask again.",
            names=", ".join(blockers)))
    if user.has_role(ADMIN) and _other_active_admins(user) == 0:
        raise InvalidTransition(_(
            "You are the last administrator. Give another person the administrator role first, then ask again."))

    old_email = user.email
    pseudonym = PERSON_PSEUDONYM.format(id=user.id)
    erased_address = ERASED_ADDRESS.format(id=user.id)
    kept = kept_records(user)
    # First, so that whatever the cancellation would tell them goes with the rest of their mail below.
    counts = {"enrolments_cancelled": _cancel_upcoming_enrolments(user)}
    counts["notifications"] = _delete(Notification, or_(Notification.recipient_id == user.id,
                                                        Notification.recipient_email == old_email))
    # Queued after the old rows went, so that it is not deleted with them; to the address, not the account,
    # so it neither joins the inbox nor reads the pseudonym back as its recipient's name.
    notify("privacy.erased", email=old_email, locale=user.locale, in_app=False, key=f"privacy-erased:{user.id}",
           context={"pseudonym": pseudonym, "erased": list(PERSON_ERASED), "kept": list(kept)})
    counts["memberships"] = _end_memberships(user)
    counts["api_tokens"] = _delete(ApiToken, ApiToken.user_id == user.id)
    _delete(RecoveryCode, RecoveryCode.user_id == user.id)
    _delete(RememberedDevice, RememberedDevice.user_id == user.id)
    _delete(ReviewerProfile, ReviewerProfile.user_id == user.id)
    _delete(UserRole, UserRole.user_id == user.id)
    _replace(Invitation, Invitation.email == old_email, email=erased_address)
    _replace(ReviewerInvitation, ReviewerInvitation.email == old_email, email=erased_address)
    counts["trips"] = _replace(Trip, or_(Trip.traveller_user_id == user.id, Trip.traveller_email == old_email),
                               traveller_name=pseudonym, traveller_email=erased_address, passport_country=None,
                               gender=None)
    db.session.expire(user, ["roles"])
    _pseudonymise(user, pseudonym, erased_address)
    sign_out(user)  # every session, on every device, and every copy of its cookie
    record_event(user, "user.erased", user, after={"counts": counts, "kept": list(kept),
                                                   "ownerless_organisations": [org.id for org, _o in ownerships]})
    db.session.flush()
    return ErasureOutcome(pseudonym=pseudonym, erased=PERSON_ERASED, kept=kept,
                          ownerless=tuple(org.name for org, _o in ownerships))


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
        .where(UserRole.role == ADMIN, User.active.is_(True), User.id != user.id)) or 0


def _delete(model, condition) -> int:
    return db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False)).rowcount


def _replace(model, condition, **values) -> int:
    return db.session.execute(
        update(model).where(condition).values(**values).execution_options(synchronize_session=False)).rowcount


def _cancel_upcoming_enrolments(user: User) -> int:
    # Through the training service, so that a freed seat goes to the first on the waiting list (who is told).
    cancelled = 0
    for enrolment_id in db.session.scalars(select(Enrolment.id).where(
            Enrolment.user_id == user.id,
            Enrolment.status.in_([EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED]))).all():
        try:
            cancel_enrolment(user, enrolment_id)
        except InvalidTransition:
            continue  # the session is over: the enrolment is a record now, kept as it is
        cancelled += 1
    return cancelled


def _end_memberships(user: User) -> int:
    memberships = list(db.session.scalars(select(Membership).where(Membership.user_id == user.id)))
    for membership in memberships:
        # As the organisations domain records a departure (ids and role only: no personal data).
        record_event(user, "membership.left", membership, {"user_id": membership.user_id,
                                                           "organisation_id": membership.organisation_id,
                                                           "role": membership.role}, None)
        db.session.delete(membership)
    db.session.flush()
    return len(memberships)


def _pseudonymise(user: User, pseudonym: str, address: str) -> None:
    user.name = pseudonym
    user.email = address
    user.password_hash = UNUSABLE_PASSWORD
    user.locale = "en"
    user.timezone = "UTC"
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_login_at = None
    user.active = False
    user.erased_at = utcnow()
