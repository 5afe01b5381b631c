"""Who may see a grant and its agreement."""

from sqlalchemy import exists, select

from cade.core.permissions import is_admin
from cade.extensions import db
from cade.organisations.models import Membership
from cade.organisations.services import is_member


def can_view_grant(user, grant) -> bool:
    """Administrators, and the members of the grant's organisation (for anyone else the grant does not exist)."""
    if grant is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or is_member(user, grant.organisation_id)


def can_list_my_grants(user) -> bool:
    """Whether the site navigation offers "My grants": a signed-in member of at least one organisation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(exists().where(Membership.user_id == user.id))))
