"""Roles, removal and leaving, guarding that an organisation always keeps an owner."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import ObjectDeletedError

from cade.core.audit import record_event
from cade.core.commands import Choice, Command, field
from cade.core.db import lock_row
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied
from cade.extensions import db
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Membership, Organisation
from cade.organisations.permissions import can_manage_members
from cade.organisations.services.queries import membership_of


def _lock_organisation(org: Organisation, membership: Membership | None = None) -> None:
    # Owner counts are read under a row lock so two owners cannot demote each other at once.
    # What was read before the lock may be stale: the membership is read again under it.
    lock_row(Organisation, org.id)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Membership):
            db.session.expire(obj)
    if membership is not None:
        try:
            membership.role  # noqa: B018  (reloads the row, or finds it gone)
        except ObjectDeletedError:  # removed meanwhile by someone else
            raise NotFound() from None


def _owner_count(org: Organisation) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership).where(
            Membership.organisation_id == org.id, Membership.role == MembershipRole.OWNER)
    ) or 0


def _refuse_if_last_owner(membership: Membership, message) -> None:
    if membership.role == MembershipRole.OWNER and _owner_count(membership.organisation) <= 1:
        raise InvalidTransition(message)


@dataclass(frozen=True)
class MemberRoleInput(Command):
    """The role a member is to have."""

    role: str | None = field(Choice(MembershipRole, required=True, message=_l("Not a valid choice.")))


def _delete_membership(actor, membership: Membership, verb: str) -> None:
    record_event(actor, verb, membership, {"user_id": membership.user_id,
                                           "organisation_id": membership.organisation_id, "role": membership.role}, None)
    db.session.delete(membership)
    db.session.flush()


def change_member_role(actor, membership_id: int, command: MemberRoleInput) -> Membership:
    """Make a member an owner or an owner a member (owners and admins).

    Raises NotFound, PermissionDenied, and InvalidTransition when it would
    leave the organisation without an owner.
    """
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound()
    org = membership.organisation
    if not can_manage_members(actor, org):
        raise PermissionDenied()
    role = MembershipRole(command.role)
    _lock_organisation(org, membership)
    if not can_manage_members(actor, org):  # the actor may have lost ownership meanwhile
        raise PermissionDenied()
    if membership.role == role:
        return membership
    if role != MembershipRole.OWNER:
        _refuse_if_last_owner(membership, _(
            "An organisation needs at least one owner. Make someone else an owner first."))
    before = {"role": membership.role}
    membership.role = role
    db.session.flush()
    record_event(actor, "membership.role_changed", membership, before, {"role": str(role)})
    return membership


def remove_member(actor, membership: Membership) -> None:
    """Remove someone from an organisation (owners and admins).

    Raises PermissionDenied, or InvalidTransition for the last owner.
    """
    org = membership.organisation
    if not can_manage_members(actor, org):
        raise PermissionDenied()
    _lock_organisation(org, membership)
    if not can_manage_members(actor, org):
        raise PermissionDenied()
    _refuse_if_last_owner(membership, _(
        "The last owner cannot be removed. Make someone else an owner first."))
    _delete_membership(actor, membership, "membership.removed")


def leave_organisation(user, org: Organisation) -> None:
    """Take `user` out of `org`.

    Raises NotFound if they are not a member, InvalidTransition if they are its last owner.
    """
    membership = membership_of(user, org)
    if membership is None:
        raise NotFound(_("You are not a member of this organisation."))
    _lock_organisation(org, membership)
    _refuse_if_last_owner(membership, _(
        "You are the last owner: make someone else an owner before you leave."))
    _delete_membership(user, membership, "membership.left")
