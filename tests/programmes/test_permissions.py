"""Who may manage programmes and who may see a call."""

from flask_login import AnonymousUserMixin

from cade.programmes.permissions import can_manage_programmes, can_view_call
from tests.factories import CallFactory


def test_only_admins_manage_programmes(admin, reviewer, applicant):
    assert can_manage_programmes(admin)
    assert not can_manage_programmes(reviewer)
    assert not can_manage_programmes(applicant)
    assert not can_manage_programmes(AnonymousUserMixin())
    assert not can_manage_programmes(None)


def test_everyone_sees_published_calls_open_or_closed(db, admin, reviewer, applicant):
    for call in (CallFactory(), CallFactory(closed=True)):
        for user in (admin, reviewer, applicant, AnonymousUserMixin(), None):
            assert can_view_call(user, call)


def test_only_admins_see_draft_calls(db, admin, reviewer, applicant):
    draft = CallFactory(draft=True)
    assert can_view_call(admin, draft)
    for user in (reviewer, applicant, AnonymousUserMixin(), None):
        assert not can_view_call(user, draft)


def test_no_call_is_never_visible(admin):
    assert not can_view_call(admin, None)
