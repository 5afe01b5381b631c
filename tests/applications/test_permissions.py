"""Who may view, edit, submit, withdraw an application and download its files."""

import pytest

from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Attachment
from cade.applications.permissions import (
    can_download_attachment,
    can_edit_application,
    can_submit_application,
    can_view_application,
    can_withdraw_application,
    is_withdrawable,
)
from cade.core.db import utcnow
from cade.extensions import db as _db
from flask_login import AnonymousUserMixin
from tests.factories import ApplicationFactory, MembershipFactory


@pytest.fixture()
def people(draft, member, admin):
    return {
        "member": member,
        "other": MembershipFactory().user,
        "admin": admin,
        "anonymous": AnonymousUserMixin(),
    }


@pytest.mark.parametrize("who, view, edit", [
    ("member", True, True), ("other", False, False), ("admin", True, False), ("anonymous", False, False),
])
def test_draft_permissions_by_role(people, draft, who, view, edit):
    user = people[who]
    assert can_view_application(user, draft) is view
    assert can_edit_application(user, draft) is edit
    assert can_submit_application(user, draft) is edit
    assert can_withdraw_application(user, draft) is edit


def test_submitted_application_is_read_only_but_can_be_withdrawn(people, organisation):
    submitted = ApplicationFactory(submitted=True, organisation=organisation)
    assert can_view_application(people["member"], submitted)
    assert not can_edit_application(people["member"], submitted)
    assert not can_submit_application(people["member"], submitted)
    assert can_withdraw_application(people["member"], submitted)
    submitted.status = "under_review"
    assert not can_withdraw_application(people["member"], submitted)


@pytest.mark.parametrize("status", list(ApplicationStatus))
def test_withdrawal_follows_the_table_of_moves_for_every_status(people, organisation, status):
    application = ApplicationFactory(organisation=organisation, status=status)
    withdrawable = status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
    assert is_withdrawable(application) is withdrawable
    assert is_withdrawable(application) is APPLICATION_MACHINE.can(application, ApplicationStatus.WITHDRAWN)
    assert can_withdraw_application(people["member"], application) is withdrawable
    assert not can_withdraw_application(people["other"], application)
    assert not is_withdrawable(None) and not can_withdraw_application(people["member"], None)


@pytest.mark.parametrize("who, allowed", [("member", True), ("other", False), ("admin", True), ("anonymous", False)])
def test_download_follows_view(people, draft, who, allowed):
    attachment = Attachment(application=draft, stored_name="ab" * 16, original_name="x.pdf",
                            content_type="application/pdf", size=1, sha256="0" * 64, uploaded_at=utcnow())
    _db.session.add(attachment)
    _db.session.commit()
    assert can_download_attachment(people[who], attachment) is allowed
