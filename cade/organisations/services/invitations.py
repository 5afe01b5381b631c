"""Invitations by e-mail: a random token whose hash alone is stored, accepted once."""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from cade.accounts.services import ACCOUNT_ADDRESS, get_user_by_email, normalise_email
from cade.core.audit import record_event
from cade.core.commands import Choice, Command, field
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, InvalidTransition, NotFound, PermissionDenied
from cade.core.tokens import new_link_token, revoke_invitation_link, token_digest
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Invitation, Membership, Organisation
from cade.organisations.permissions import can_manage_members
from cade.organisations.services.queries import is_member, membership_of


@dataclass(frozen=True)
class InviteMemberInput(Command):
    """Whom to invite and as what: the address in accounts' one spelling, and a role (a member unless said)."""

    # Checked and spelled as accounts do, so the invitee's account matches whatever form was typed.
    email: str | None = field(ACCOUNT_ADDRESS)
    role: str | None = field(Choice(MembershipRole))


def invite_member(actor, organisation_id: int, command: InviteMemberInput) -> tuple[Invitation, str]:
    """Invite an address to join the organisation with a role; return the invitation and its secret token.

    Only a hash of the token is stored; the token travels in the e-mail. An
    open invitation to the same address is refreshed (new token, new expiry,
    new e-mail) rather than duplicated. Raises NotFound, PermissionDenied or
    AlreadyExists (already a member).
    """
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound()
    if not can_manage_members(actor, org):
        raise PermissionDenied()
    email, role = command.email, MembershipRole(command.role or MembershipRole.MEMBER)
    invitee = get_user_by_email(email)
    if invitee is not None and is_member(invitee, org):
        raise AlreadyExists(_("This person is already a member of the organisation."), field="email")

    token = new_link_token()
    now = utcnow()
    expires_at = now + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.organisation_id == org.id, Invitation.email == email,
                                 Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
    )
    if invitation is None:
        invitation = Invitation(organisation=org, email=email, role=role, token_hash=token_digest(token),
                                invited_by_id=actor.id, expires_at=expires_at)
        db.session.add(invitation)
        db.session.flush()
        record_event(actor, "invitation.created", invitation, None,
                     {"email": email, "role": str(role), "organisation_id": org.id})
    else:
        before = {"role": invitation.role, "expires_at": invitation.expires_at.isoformat()}
        invitation.role = role
        invitation.token_hash = token_digest(token)
        invitation.invited_by_id = actor.id
        invitation.expires_at = expires_at
        db.session.flush()
        record_event(actor, "invitation.refreshed", invitation, before,
                     {"role": str(role), "expires_at": expires_at.isoformat()})

    notify(
        "organisations.invitation",
        email=email,
        locale=getattr(actor, "locale", None) or "en",
        context={
            "organisation_id": org.id,
            "organisation_name": org.display_name,
            "inviter_name": actor.name,
            "role": str(role),
            "token": token,
            "expires_at": expires_at.isoformat(),
            "valid_days": max(1, current_app.config["INVITATION_MAX_AGE"] // 86400),
        },
        # One e-mail per invitation and token: a refresh sends the new link once.
        key=f"organisations.invitation:{invitation.id}:{invitation.token_hash[:16]}",
        in_app=False,
    )
    return invitation, token


def revoke_invitation(actor, invitation: Invitation) -> Invitation:
    """Withdraw an open invitation so its link stops working (owners and admins).

    Raises PermissionDenied, or InvalidTransition if it was already accepted.
    Revoking twice is harmless.
    """
    if not can_manage_members(actor, invitation.organisation):
        raise PermissionDenied()
    revoke_invitation_link(actor, invitation, "invitation.revoked")
    return invitation


def find_invitation(user, token: str) -> Invitation:
    """The invitation `user` may accept with `token`, checked as `accept_invitation` checks it.

    Raises NotFound (unknown link), PermissionDenied (sent to another address)
    or InvalidTransition (revoked, expired or already used by someone else).
    Returns an already-accepted invitation when `user` is a member: accepting
    twice is harmless.
    """
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_digest(token or "")))
    if invitation is None:
        raise NotFound(_("This invitation link is not valid. Check that you copied the whole link, "
                         "or ask for a new invitation."))
    if normalise_email(user.email) != normalise_email(invitation.email):
        raise PermissionDenied(_("This invitation was sent to a different e-mail address. Sign in with "
                                 "the account for the address that received it, or ask the organisation "
                                 "to invite the address you use here."))
    if invitation.revoked_at is not None:
        raise InvalidTransition(_("This invitation has been withdrawn. Ask the organisation for a new one."))
    if invitation.accepted_at is not None:
        if is_member(user, invitation.organisation):
            return invitation
        raise InvalidTransition(_("This invitation has already been used. Ask the organisation for a new one."))
    if invitation.is_expired(utcnow()):
        raise InvalidTransition(_("This invitation has expired. Ask the organisation to invite you again."))
    return invitation


def accept_invitation(user, token: str) -> Membership:
    """Join the invitation's organisation as `user`; return the membership.

    The user's e-mail must match the invitation's. Accepting twice, or as an
    existing member, creates nothing new (an owner invitation promotes a
    member). Raises what `find_invitation` raises.
    """
    invitation = find_invitation(user, token)
    org = invitation.organisation
    membership = membership_of(user, org)
    if invitation.accepted_at is not None:
        return membership
    if membership is None:
        membership = Membership(user_id=user.id, organisation=org, role=invitation.role)
        db.session.add(membership)
        db.session.flush()
        record_event(user, "membership.created", membership, None,
                     {"user_id": user.id, "organisation_id": org.id, "role": invitation.role,
                      "invitation_id": invitation.id})
    elif invitation.role == MembershipRole.OWNER and membership.role != MembershipRole.OWNER:
        record_event(user, "membership.role_changed", membership, {"role": membership.role},
                     {"role": str(MembershipRole.OWNER), "invitation_id": invitation.id})
        membership.role = MembershipRole.OWNER
    invitation.accepted_at = utcnow()
    db.session.flush()
    record_event(user, "invitation.accepted", invitation, None, {"user_id": user.id})
    return membership
