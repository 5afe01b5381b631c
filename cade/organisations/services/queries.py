"""Read-only questions about organisations that other domains ask."""

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from cade.accounts.models import User
from cade.extensions import db
from cade.organisations.models import Invitation, Membership, Organisation


def organisations_for_user(user) -> list[Organisation]:
    """The organisations `user` belongs to, by name."""
    if user is None or getattr(user, "id", None) is None:
        return []
    stmt = (
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.name, Organisation.id)
    )
    return list(db.session.scalars(stmt))


def membership_of(user, org) -> Membership | None:
    """`user`'s membership of `org` (an Organisation or its id), if any."""
    org_id = getattr(org, "id", org)
    if user is None or org_id is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == org_id)
    )


def is_member(user, org) -> bool:
    """Whether `user` belongs to `org` (an Organisation or its id); anonymous users never do."""
    return membership_of(user, org) is not None


def members_of(org) -> list[Membership]:
    """Memberships of `org`, owners first, then by name (users loaded in the same query)."""
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.user).lazyload(User.roles))  # roles only if asked, not for a list
        .where(Membership.organisation_id == org.id)
        .order_by(Membership.role.desc(), User.name, User.id)  # "owner" > "member"
    )
    return list(db.session.scalars(stmt))


def members_of_organisations(organisation_ids) -> dict[int, list[User]]:
    """The active users of each organisation, by organisation id, in one query (whom to tell about an application).

    Disabled accounts are left out: they can no longer sign in to act on what they would be told.
    """
    found: dict[int, list[User]] = {}
    organisation_ids = set(organisation_ids)
    if not organisation_ids:
        return found
    rows = db.session.execute(
        select(Membership.organisation_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id.in_(organisation_ids), User.active.is_(True))
        .order_by(Membership.organisation_id, User.id)
    ).all()
    for organisation_id, user in rows:
        found.setdefault(organisation_id, []).append(user)
    return found


def pending_invitations(org) -> list[Invitation]:
    """Invitations neither accepted nor revoked (expired ones included, to re-send or revoke)."""
    stmt = (
        select(Invitation)
        .where(Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None))
        .order_by(Invitation.email)
    )
    return list(db.session.scalars(stmt))
