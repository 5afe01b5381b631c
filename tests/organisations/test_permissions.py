"""Who may see, edit and manage an organisation."""

import pytest
from flask_login import AnonymousUserMixin

from cade.organisations.permissions import (
    can_edit_organisation,
    can_manage_members,
    can_verify_organisation,
    can_view_organisation,
)

PREDICATES = [can_view_organisation, can_edit_organisation, can_manage_members, can_verify_organisation]


@pytest.mark.parametrize("who, expected", [
    # (view, edit, manage, verify)
    ("owner", (True, True, True, False)),
    ("member", (True, False, False, False)),
    ("outsider", (False, False, False, False)),
    ("admin", (True, True, True, True)),
])
def test_predicates_by_role(request, org, who, expected):
    user = request.getfixturevalue(who)
    assert tuple(predicate(user, org) for predicate in PREDICATES) == expected


def test_anonymous_and_missing_users_may_do_nothing(org):
    for predicate in PREDICATES:
        assert predicate(AnonymousUserMixin(), org) is False
        assert predicate(None, org) is False
