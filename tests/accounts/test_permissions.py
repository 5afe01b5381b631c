"""Who may edit profiles and manage roles."""

import pytest
from flask_login import AnonymousUserMixin

from cade.accounts.permissions import can_edit_profile, can_manage_roles
from tests.factories import UserFactory


def test_a_person_edits_their_own_profile_only(db):
    user, other = UserFactory(), UserFactory()
    assert can_edit_profile(user, user)
    assert not can_edit_profile(other, user)
    assert not can_edit_profile(AnonymousUserMixin(), user)
    assert not can_edit_profile(None, user)


@pytest.mark.parametrize("roles, allowed", [([], False), (["reviewer"], False), (["trainer"], False),
                                            (["admin"], True)])
def test_only_admins_edit_other_profiles_and_manage_roles(db, roles, allowed):
    actor, target = UserFactory(roles=roles), UserFactory()
    assert can_edit_profile(actor, target) is allowed
    assert can_manage_roles(actor, target) is allowed


def test_anonymous_visitors_manage_nothing(db):
    assert not can_manage_roles(AnonymousUserMixin())
    assert not can_manage_roles(None)
