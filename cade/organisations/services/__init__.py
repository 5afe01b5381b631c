"""Organisation profiles, memberships and invitations: every rule and change.

Services take the acting user explicitly, and one command (`…Input`) for
what a person typed with the ids of what they act on; they write an audit
event for each change, flush but never commit. The queries (`organisations_for_user`, `membership_of`,
`is_member`) are what other domains use.
"""

from cade.organisations.services.invitations import (
    InviteMemberInput,
    accept_invitation,
    find_invitation,
    invite_member,
    revoke_invitation,
)
from cade.organisations.services.members import (
    MemberRoleInput,
    change_member_role,
    leave_organisation,
    remove_member,
)
from cade.organisations.services.profiles import (
    EARLIEST_YEAR_FOUNDED,
    MAX_LENGTHS,
    OrganisationProfileInput,
    create_organisation,
    set_organisation_verified,
    update_organisation,
)
from cade.organisations.services.queries import (
    is_member,
    members_of,
    membership_of,
    organisations_for_user,
    pending_invitations,
)

__all__ = [
    "EARLIEST_YEAR_FOUNDED", "MAX_LENGTHS", "InviteMemberInput", "MemberRoleInput", "OrganisationProfileInput",
    "accept_invitation", "change_member_role",
    "create_organisation", "find_invitation", "invite_member", "is_member", "leave_organisation",
    "members_of", "membership_of", "organisations_for_user", "pending_invitations", "remove_member",
    "revoke_invitation", "set_organisation_verified", "update_organisation",
]
