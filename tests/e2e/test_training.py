"""A member enrols in a full session, sees their place on the waiting list, and leaves it, in a real browser."""

from sqlalchemy import select

from cade.extensions import db as _db
from cade.training.models import Enrolment
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import CourseFactory, EnrolmentFactory, SessionFactory, member


def _full_session():
    session = SessionFactory(seats=1, title="Kigali workshop",
                             course=CourseFactory(title="Running a community network"))
    EnrolmentFactory(session=session, user=member())
    return session


def test_a_member_joins_the_waiting_list_sees_the_position_and_leaves(page, db):
    _full_session()
    participant = member(name="Pat Participant")
    audit = Audit(page)
    audit.visit("/training/", "catalogue, visitor")
    assert page.get_by_text("Full: waiting list open").count() == 1
    sign_in(page, participant)
    page.goto("/training/")
    with page.expect_navigation():
        page.get_by_role("link", name="Running a community network").click()
    audit.check("course page, member")
    assert page.get_by_text("Nairobi Garage").count() == 0, "the place is for those with a seat"

    send(page, page.get_by_role("button", name="Join the waiting list"))
    audit.check("my trainings, waitlisted")
    assert "The session is full: you are number 1 on the waiting list." in page.locator(".flashes").inner_text()
    assert page.get_by_text("You are number 1 on the waiting list.", exact=True).count() == 1
    assert page.get_by_text("Shown once you have a seat.").count() == 1

    send(page, page.get_by_role("button", name="Leave the waiting list"))
    audit.check("my trainings, cancelled")
    assert page.get_by_text("Your enrolment is cancelled.").count() == 1
    _db.session.expire_all()
    assert _db.session.scalar(select(Enrolment.status).where(Enrolment.user_id == participant.id)) == "cancelled"
    audit.visit("/training/mine", "my trainings")
    audit.assert_clean()


def test_without_javascript_a_member_enrols_and_cancels(browser, live_server, db):
    session = SessionFactory(seats=3, course=CourseFactory(title="Digital security basics"))
    participant = member()
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, participant)
        page.goto(f"/training/courses/{session.course_id}")
        send(page, page.get_by_role("button", name="Enrol"))
        assert page.url.endswith("/training/mine")
        main = page.locator("main").inner_text()
        assert "You have a seat" in main and "Nairobi Garage, Ngong Road" in main
        send(page, page.get_by_role("button", name="Cancel my seat"))
        assert "Your enrolment is cancelled." in page.locator("main").inner_text()
    finally:
        context.close()
