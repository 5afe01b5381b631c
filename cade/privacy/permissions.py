"""Who may erase what: a person only themselves (no predicate needed), an organisation only its owners."""

from cade.organisations.constants import MembershipRole


def can_erase_organisation(user, org) -> bool:
    """An owner of the organisation, while it is not erased. Administrators may not: erasure is the owners' ask."""
    if user is None or org is None or not getattr(user, "is_authenticated", False) or org.erased_at is not None:
        return False
    from cade.organisations.services import membership_of

    membership = membership_of(user, org)
    return membership is not None and membership.role == MembershipRole.OWNER
