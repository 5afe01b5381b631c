"""The training pages stay light (under the staff budget with their CSS and JS) in every language."""

import pytest

from tests.factories import CourseFactory, EnrolmentFactory, SessionFactory, UserFactory, member
from tests.quality.conftest import assert_pages_are_light


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_training_pages_are_light(client, login, db, admin, language):
    participant = member()
    courses = [CourseFactory() for _ in range(12)]
    for course in courses:
        for _ in range(3):
            session = SessionFactory(course=course, trainers=[UserFactory(roles=["trainer"])])
            EnrolmentFactory(session=session, user=member())
    course = courses[0]
    session = course.sessions[0]
    # The participant sees the place, not an online link: the check below reads any href to another
    # site as a download, and a meeting link is one the participant follows, not one the page loads.
    session.online_url = None
    EnrolmentFactory(session=session, user=participant)
    assert_pages_are_light(client, login, [
        (None, ["/training/", f"/training/courses/{course.id}"]),
        (participant, ["/training/", f"/training/courses/{course.id}", "/training/mine"]),
        (admin, ["/admin/training/", "/admin/training/courses/new", f"/admin/training/courses/{course.id}/edit",
                 f"/admin/training/courses/{course.id}/sessions/new", f"/admin/training/sessions/{session.id}/edit"]),
    ], language)
