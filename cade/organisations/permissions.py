"""Who may see and change an organisation: its members, its owners, administrators."""

from cade.core.permissions import is_admin
from cade.organisations.constants import MembershipRole


def _role_in(user, org) -> str | None:
    # Imported here: services import this module to enforce the same rules.
    from cade.organisations.services import membership_of

    if user is None or org is None or not getattr(user, "is_authenticated", False):
        return None
    membership = membership_of(user, org)
    return membership.role if membership is not None else None


def can_view_organisation(user, org) -> bool:
    """Members and administrators; for everyone else the organisation does not exist."""
    return is_admin(user) or _role_in(user, org) is not None


def can_edit_organisation(user, org) -> bool:
    """Owners and administrators may change the profile."""
    return is_admin(user) or _role_in(user, org) == MembershipRole.OWNER


def can_mark_at_risk(user, org) -> bool:
    """Only owners say whether the organisation is at risk: it is the organisation's own judgement of its
    safety, which an administrator sees but does not make for it."""
    return _role_in(user, org) == MembershipRole.OWNER


def can_manage_members(user, org) -> bool:
    """Owners and administrators may invite, remove and change the roles of members."""
    return is_admin(user) or _role_in(user, org) == MembershipRole.OWNER


def can_verify_organisation(user, org) -> bool:
    """Only administrators mark an organisation as verified (after due diligence)."""
    return is_admin(user)
