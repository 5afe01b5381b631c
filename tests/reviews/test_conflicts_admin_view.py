"""Declared conflicts on the admin's review page of a call: who, which application, when, and why (admins only)."""

import re
from datetime import datetime, timezone
from html import unescape

import pytest
from sqlalchemy import update

from cade.applications.constants import ApplicationStatus
from cade.extensions import db as _db
from cade.reviews.models import ConflictDeclaration
from cade.reviews.services import conflicts
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    ReviewFactory,
)
from tests.querycount import count_statements

REASON = "I sat on their board until last spring."


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh call", timezone="Africa/Nairobi")


@pytest.fixture()
def application(call):
    return ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW,
                              title="Village mesh")


def declare(application, name: str, reason: str = REASON, at=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
            submitted: bool = False):
    """`name` is assigned to `application` and declares a conflict (after submitting, when `submitted`)."""
    reviewer = ReviewerProfileFactory(user__name=name).user
    assignment = AssignmentFactory(application=application, reviewer=reviewer)
    if submitted:
        ConflictDeclarationFactory(assignment=assignment)
        ReviewFactory(assignment=assignment, submitted=True)
    declaration = conflicts.declare_conflict(reviewer, assignment.id, True, reason)
    _db.session.execute(update(ConflictDeclaration).where(ConflictDeclaration.id == declaration.id)
                        .values(declared_at=at))
    _db.session.commit()
    return reviewer


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def conflicts_section(html: str) -> str:
    start = html.index('id="conflicts"')
    return text_of(html[start:html.index("</section>", start)])


def test_the_call_review_page_lists_declared_conflicts_with_the_reason(client, login, admin, call, application):
    declare(application, "Rita Reviewer")
    late = ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW, title="Solar hub")
    declare(late, "Rami Reviewer", reason="My sister runs it.", at=datetime(2026, 3, 2, 21, 30, tzinfo=timezone.utc),
            submitted=True)
    # Not listed: an answer of "no conflict", and a conflict in another call.
    ConflictDeclarationFactory(assignment=AssignmentFactory(application=application))
    declare(ApplicationFactory(call=CallFactory(closed=True), submitted=True), "Other Reviewer", reason="Elsewhere.")
    login(admin)

    page = client.get(f"/admin/calls/{call.id}/review")
    assert page.status_code == 200
    section = conflicts_section(page.get_data(as_text=True))
    # Newest first; the moment in the call's zone (UTC+3): 21:30 UTC is 00:30 the next day in Nairobi.
    assert section.index("Rami Reviewer") < section.index("Rita Reviewer")
    assert f"Rita Reviewer {application.reference} Village mesh Mar 1, 2026, 12:00 PM (Africa/Nairobi) {REASON}" \
        in section
    assert f"Rami Reviewer {late.reference} Solar hub Mar 3, 2026, 12:30 AM (Africa/Nairobi) My sister runs it." \
        in section
    assert "submitted review no longer counts" in section  # Rami had submitted before declaring
    assert "Elsewhere." not in section and "Other Reviewer" not in section


def test_without_declared_conflicts_the_page_says_so(client, login, admin, call, application):
    login(admin)
    section = conflicts_section(client.get(f"/admin/calls/{call.id}/review").get_data(as_text=True))
    assert "No reviewer has declared a conflict of interest in this call." in section


def test_the_declared_conflicts_are_read_in_one_statement(call, application):
    declare(application, "Rita Reviewer")
    call_id = call.id  # read before counting: the commit expired the call
    found, statements = count_statements(lambda: conflicts.declared_conflicts_in_call(call_id))
    assert statements == 1
    [conflict] = found
    assert (conflict.reviewer_name, conflict.application_id, conflict.reason, conflict.review_kept) == (
        "Rita Reviewer", application.id, REASON, False)


def test_the_page_runs_the_same_number_of_queries_as_conflicts_grow(client, login, admin, call, application):
    login(admin)

    def statements() -> int:
        response, count = count_statements(lambda: client.get(f"/admin/calls/{call.id}/review"))
        assert response.status_code == 200
        return count

    declare(application, "Reviewer 0", submitted=True)  # a review kept on record: the page loads its assignment
    few = statements()
    for n in range(1, 5):
        declare(ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW),
                f"Reviewer {n}", submitted=n % 2 == 0)
    assert statements() == few


def test_no_one_but_admins_reads_another_reviewer_s_reason(client, login, call, application):
    declare(application, "Rita Reviewer")
    colleague = ReviewerProfileFactory(user__name="Bob Reviewer").user
    assignment = AssignmentFactory(application=application, reviewer=colleague)
    ConflictDeclarationFactory(assignment=assignment)
    applicant = MembershipFactory(organisation=application.organisation).user

    login(colleague)
    for url in ("/review/", f"/review/assignments/{assignment.id}", f"/admin/calls/{call.id}/review"):
        response = client.get(url)
        assert REASON not in unescape(response.get_data(as_text=True)), url
    assert client.get(f"/admin/calls/{call.id}/review").status_code == 404
    login(applicant)
    for url in ("/applications/", f"/applications/{application.id}", f"/admin/calls/{call.id}/review"):
        response = client.get(url)
        assert REASON not in unescape(response.get_data(as_text=True)), url
