"""The reviewer pool: making users reviewers, inviting by e-mail, their profiles, and the pool's page."""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, func, select

from cade.accounts.models import User, UserRole
from cade.accounts.services import get_user_by_email, grant_role, revoke_role
from cade.applications.constants import IN_REVIEW_STATUSES
from cade.applications.models import Application
from cade.core.audit import record_event
from cade.core.commands import Cleaner, Codes, Command, Email, Integer, field
from cade.core.countries import region_choices
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import REVIEWER, has_role, is_admin
from cade.core.tokens import new_link_token, revoke_invitation_link, token_digest
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.constants import WORKING_LANGUAGES
from cade.reviews.constants import DEFAULT_MAX_LOAD, MAX_LOAD_LIMIT, ReviewStatus
from cade.reviews.models import Assignment, Review, ReviewerInvitation, ReviewerProfile
from cade.reviews.permissions import can_manage_reviews

# Reviewers read applications in the languages organisations work in, so the two lists are one.
REVIEWER_LANGUAGES = WORKING_LANGUAGES
EXPERTISE_TAG_MAX_CHARS = 60
EXPERTISE_MAX_TAGS = 20
POOL_PAGE_SIZE = 25
PENDING_INVITATIONS_SHOWN = 50


class AddOutcome(StrEnum):
    ADDED = "added"  # an existing account became a reviewer
    ALREADY = "already"  # already a reviewer: nothing changed
    INVITED = "invited"  # no account with this address: an invitation went out
    REINVITED = "reinvited"  # an invitation was waiting: it got a new link, sent again


@dataclass(frozen=True)
class AddResult:
    outcome: AddOutcome
    email: str
    user: User | None = None
    invitation: ReviewerInvitation | None = None


@dataclass(frozen=True)
class PoolEntry:
    user: User
    profile: ReviewerProfile | None
    current_assignments: int
    submitted_reviews: int


@dataclass(frozen=True)
class PoolPage:
    page: Pagination
    entries: list[PoolEntry]


def profile_of(user_id: int) -> ReviewerProfile | None:
    """The user's reviewer profile, or None if they never had one."""
    return db.session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == user_id))


def _ensure_profile(user: User) -> tuple[ReviewerProfile, bool]:
    """The user's profile, created with defaults (their own language) if missing; True when new."""
    profile = profile_of(user.id)
    if profile is not None:
        return profile, False
    profile = ReviewerProfile(user_id=user.id, expertise=[], languages=[user.locale] if user.locale else [],
                              regions=[], max_load=DEFAULT_MAX_LOAD)
    db.session.add(profile)
    db.session.flush()
    return profile, True


def _profile_values(profile: ReviewerProfile) -> dict:
    return {"expertise": list(profile.expertise or []), "languages": list(profile.languages or []),
            "regions": list(profile.regions or []), "max_load": profile.max_load}


@dataclass(frozen=True)
class ReviewerInput(Command):
    """The address of someone to make a reviewer, as an admin types it."""

    email: str | None = field(Email(message=_l("Enter an e-mail address such as name@example.org.")))


def add_reviewer(actor, command: ReviewerInput) -> AddResult:
    """Make the account with `email` a reviewer, or invite the address if no account has it (admins).

    An existing account gets the reviewer role and a profile (its own language
    to start with). An unknown address gets an invitation valid for 14 days by
    e-mail; inviting an address again while its invitation waits sends a new
    link instead of a second invitation. Raises PermissionDenied, or
    ValidationFailed for a disabled account.
    """
    if not can_manage_reviews(actor):
        raise PermissionDenied()
    address = command.email
    user = get_user_by_email(address)
    if user is None:
        return _invite(actor, address)
    if not user.active:
        raise ValidationFailed({"email": [_l("This account is disabled. Enable it again before "
                                             "making it a reviewer.")]})
    already = user.has_role(REVIEWER)
    profile, created = _ensure_profile(user)
    if already and not created:
        return AddResult(AddOutcome.ALREADY, user.email, user=user)
    grant_role(actor, user.id, REVIEWER)
    record_event(actor, "reviewer.added", profile, None, {"user_id": user.id, "via": "admin", **_profile_values(profile)})
    return AddResult(AddOutcome.ADDED, user.email, user=user)


def _invite(actor, address: str) -> AddResult:
    token = new_link_token()
    max_age = current_app.config["INVITATION_MAX_AGE"]
    expires_at = utcnow() + timedelta(seconds=max_age)
    invitation = db.session.scalar(
        select(ReviewerInvitation).where(ReviewerInvitation.email == address, ReviewerInvitation.accepted_at.is_(None),
                                         ReviewerInvitation.revoked_at.is_(None))
        .order_by(ReviewerInvitation.id.desc()).limit(1))
    outcome = AddOutcome.INVITED if invitation is None else AddOutcome.REINVITED
    if invitation is None:
        invitation = ReviewerInvitation(email=address)
        db.session.add(invitation)
    before = None if outcome is AddOutcome.INVITED else {"expires_at": invitation.expires_at.isoformat()}
    invitation.token_hash = token_digest(token)
    invitation.invited_by_id = actor.id
    invitation.expires_at = expires_at
    db.session.flush()
    record_event(actor, "reviewer.invited", invitation, before,
                 {"email": address, "expires_at": expires_at.isoformat(), "resent": outcome is AddOutcome.REINVITED})
    notify("reviews.invitation", email=address, locale=getattr(actor, "locale", None) or "en", in_app=False,
           # One e-mail per link: sending the invitation again with a new token sends the new link once.
           key=f"reviewer-invitation:{invitation.id}:{invitation.token_hash[:16]}",
           context={"inviter_name": actor.name, "token": token, "expires_at": expires_at.isoformat(),
                    "valid_days": max(1, max_age // 86400)})
    return AddResult(outcome, address, invitation=invitation)


def _inviter(invitation: ReviewerInvitation) -> User | None:
    return db.session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None


_NO_LONGER_VALID = _l("This invitation is no longer valid. Ask an administrator for a new one.")


def find_reviewer_invitation(user, token: str) -> ReviewerInvitation:
    """The invitation `user` may accept with `token`, checked as accept_reviewer_invitation checks it.

    Raises PermissionDenied (address not confirmed yet), NotFound (unknown
    link) or InvalidTransition (withdrawn, expired, used by someone else, or
    sent by someone who is no longer an administrator). An invitation this
    user accepted already is returned: accepting twice is harmless.
    """
    if not getattr(user, "is_verified", False):
        raise PermissionDenied(_l("Please confirm your e-mail address first, then open the invitation again."))
    invitation = db.session.scalar(
        select(ReviewerInvitation).where(ReviewerInvitation.token_hash == token_digest(token or "")))
    if invitation is None:
        raise NotFound(_l("This invitation link is not valid. Check that you copied the whole link, "
                          "or ask for a new invitation."))
    if invitation.revoked_at is not None:
        raise InvalidTransition(_l("This invitation has been withdrawn. Ask an administrator for a new one."))
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id == user.id:
            return invitation
        raise InvalidTransition(_l("This invitation has already been used. Ask an administrator for a new one."))
    if invitation.expires_at <= utcnow():
        raise InvalidTransition(_l("This invitation has expired. Ask an administrator to invite you again."))
    inviter = _inviter(invitation)
    if not (is_admin(inviter) and inviter.active):
        # The role comes from the administrator who invited; one who is no longer one cannot give it.
        raise InvalidTransition(_NO_LONGER_VALID)
    return invitation


def accept_reviewer_invitation(user, token: str) -> ReviewerProfile:
    """Make `user` a reviewer through an invitation; return their profile.

    Any signed-in account with a confirmed address may accept (the link is the
    proof), whatever address it was sent to. The role is granted in the name
    of the inviting administrator. Raises what find_reviewer_invitation raises.
    """
    invitation = find_reviewer_invitation(user, token)
    profile, created = _ensure_profile(user)
    if invitation.accepted_at is not None:
        return profile
    try:
        grant_role(_inviter(invitation), user.id, REVIEWER)
    except PermissionDenied:
        # The inviter stopped being an active administrator after the check above.
        raise InvalidTransition(_NO_LONGER_VALID) from None
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    db.session.flush()
    record_event(user, "reviewer.added", profile, None,
                 {"user_id": user.id, "via": "invitation", "invitation_id": invitation.id, "new_profile": created})
    return profile


def revoke_reviewer_invitation(actor, invitation_id: int) -> ReviewerInvitation:
    """Withdraw a waiting invitation so its link stops working (admins; again is harmless).

    Raises PermissionDenied, NotFound, or InvalidTransition once it was accepted.
    """
    if not can_manage_reviews(actor):
        raise PermissionDenied()
    invitation = db.session.get(ReviewerInvitation, invitation_id)
    if invitation is None:
        raise NotFound()
    revoke_invitation_link(actor, invitation, "reviewer.invitation_revoked")
    return invitation


def region_codes() -> set[str]:
    return {code for code, _name in region_choices()}


@dataclass(frozen=True)
class ExpertiseTags(Cleaner):
    """Expertise as tags: a text field ("Mesh networks, policy") or a list, each item perhaps holding commas itself.

    Split on commas, spaces collapsed, lower-cased, once each; at most
    EXPERTISE_MAX_TAGS tags of EXPERTISE_TAG_MAX_CHARS characters.
    """

    def clean(self, raw, cleaning):
        if isinstance(raw, list | tuple):
            items = list(raw)
        elif raw is None or isinstance(raw, str):
            items = [raw or ""]
        else:
            cleaning.refuse(_l("Enter text."))
            return []
        tags: list[str] = []
        for item in items:
            for part in str(item).split(","):
                tag = " ".join(part.split()).lower()
                if tag and tag not in tags:
                    tags.append(tag)
        too_long = [tag for tag in tags if len(tag) > EXPERTISE_TAG_MAX_CHARS]
        if too_long:
            cleaning.refuse(_l("Keep each tag to at most %(n)d characters (too long: %(tag)s).",
                               n=EXPERTISE_TAG_MAX_CHARS, tag=too_long[0][:EXPERTISE_TAG_MAX_CHARS] + "…"))
        elif len(tags) > EXPERTISE_MAX_TAGS:
            cleaning.refuse(_l("Give at most %(n)d expertise tags (you gave %(count)d).",
                               n=EXPERTISE_MAX_TAGS, count=len(tags)))
        return tags


@dataclass(frozen=True)
class ReviewerProfileInput(Command):
    """A reviewer's profile as typed: expertise tags, ISO 639-1 languages, UN M49 regions, maximum load per call."""

    expertise: list[str] = field(ExpertiseTags(), default_factory=list)
    languages: list[str] = field(Codes(REVIEWER_LANGUAGES.__contains__, message=_l("Choose languages from the list.")),
                                 default_factory=list)
    regions: list[str] = field(Codes(lambda code: code in region_codes(), message=_l("Choose regions from the list.")),
                               default_factory=list)
    max_load: int | None = field(Integer(0, MAX_LOAD_LIMIT, message=_l("Give a whole number from 0 to %(max)d.",
                                                                        max=MAX_LOAD_LIMIT)))


def update_reviewer_profile(actor, user_id: int, command: ReviewerProfileInput) -> ReviewerProfile:
    """Replace a reviewer's expertise tags, languages, regions and maximum load per call.

    Administrators edit anyone in the pool (or who was in it); a reviewer edits
    their own. Raises NotFound, PermissionDenied.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if not (is_admin(actor) or (getattr(actor, "id", None) == user_id and has_role(actor, REVIEWER))):
        raise PermissionDenied()
    profile = profile_of(user_id)
    if profile is None and not user.has_role(REVIEWER):
        raise NotFound()
    values = {name: list(value) if isinstance(value, list) else value for name, value in command.changes().items()}
    if profile is None:
        profile, _created = _ensure_profile(user)
    before = _profile_values(profile)
    if before != values:
        for name, value in values.items():
            setattr(profile, name, value)
        db.session.flush()
        record_event(actor, "reviewer.profile_updated", profile, before, values)
    return profile


def remove_reviewer(actor, user_id: int) -> User:
    """Take the reviewer role from a user (admins); their profile, reviews and assignments stay.

    Assignments are not withdrawn: the admin reassigns them on the call's
    review page. Removing someone who is not a reviewer changes nothing.
    Raises PermissionDenied or NotFound.
    """
    if not can_manage_reviews(actor):
        raise PermissionDenied()
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if revoke_role(actor, user_id, REVIEWER):
        profile = profile_of(user_id)
        record_event(actor, "reviewer.removed", profile or user, {"user_id": user_id, "reviewer": True},
                     {"user_id": user_id, "reviewer": False})
    return user


def pool_page(page: int = 1, per_page: int = POOL_PAGE_SIZE) -> PoolPage:
    """One page of reviewers (by name) with their profiles and open review work, in a fixed number of queries.

    Open review work is an assignment whose application still awaits a
    decision; per reviewer the page shows how many they hold and how many of
    those reviews they have submitted.
    """
    query = (select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == REVIEWER)
             .order_by(func.lower(User.name), User.id))
    users_page = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)
    ids = [user.id for user in users_page.items]
    profiles: dict[int, ReviewerProfile] = {}
    work: dict[int, tuple[int, int]] = {}
    if ids:
        profiles = {p.user_id: p for p in db.session.scalars(
            select(ReviewerProfile).where(ReviewerProfile.user_id.in_(ids)))}
        submitted = func.sum(case((Review.status == ReviewStatus.SUBMITTED, 1), else_=0))
        rows = db.session.execute(
            select(Assignment.reviewer_id, func.count(Assignment.id), submitted)
            .join(Application, Application.id == Assignment.application_id)
            .outerjoin(Review, Review.assignment_id == Assignment.id)
            .where(Assignment.reviewer_id.in_(ids), Application.status.in_(IN_REVIEW_STATUSES))
            .group_by(Assignment.reviewer_id)
        ).all()
        work = {reviewer_id: (count, int(done or 0)) for reviewer_id, count, done in rows}
    entries = [PoolEntry(user, profiles.get(user.id), *work.get(user.id, (0, 0))) for user in users_page.items]
    return PoolPage(users_page, entries)


def pending_reviewer_invitations(limit: int = PENDING_INVITATIONS_SHOWN) -> list[ReviewerInvitation]:
    """Invitations neither accepted nor withdrawn (expired ones too, so they can be sent again), newest first."""
    return list(db.session.scalars(
        select(ReviewerInvitation)
        .where(ReviewerInvitation.accepted_at.is_(None), ReviewerInvitation.revoked_at.is_(None))
        .order_by(ReviewerInvitation.id.desc()).limit(limit)))
