"""Fifty people enrolling at once for ten seats: exactly ten seats given, the others numbered 1..40.

Each enrolment runs in its own thread, app context, connection and transaction,
as fifty web workers would (tests.concurrency.run_side_by_side). Runs on
whichever database the suite uses: SQLite, and PostgreSQL with TEST_DATABASE_URL.
"""

from sqlalchemy import select

from cade.accounts.models import User
from cade.extensions import db as _db
from cade.training import services
from cade.training.models import Enrolment
from cade.training.services import EnrolInput
from tests.concurrency import run_side_by_side
from tests.factories import SessionFactory, member


def _enrol(user_id, session_id):
    def action():
        services.enrol(_db.session.get(User, user_id), session_id, EnrolInput.from_input({}))
    return action


def _enrolments(session_id):
    _db.session.expire_all()
    return list(_db.session.scalars(select(Enrolment).where(Enrolment.session_id == session_id)))


def test_fifty_enrolments_at_once_for_ten_seats_confirm_exactly_ten(app, db):
    session_id = SessionFactory(seats=10).id
    people = [member().id for _ in range(50)]

    outcomes = run_side_by_side(app, [_enrol(person, session_id) for person in people],
                                pause_after="from enrolments")

    assert outcomes == ["done"] * 50
    enrolments = _enrolments(session_id)
    assert len(enrolments) == 50
    assert sum(e.status == "confirmed" for e in enrolments) == 10
    waiting = [e for e in enrolments if e.status == "waitlisted"]
    assert sorted(e.waitlist_position for e in waiting) == list(range(1, 41))
    # The order of the list is the order of arrival: a later enrolment never stands ahead of an earlier one.
    assert [e.waitlist_position for e in sorted(waiting, key=lambda e: e.id)] == list(range(1, 41))


def test_without_the_lock_a_rush_would_overbook(app, db, monkeypatch):
    """The test above is not luck: with the session row left unlocked, people count the same free seats."""
    from cade.training.services import enrolment

    monkeypatch.setattr(enrolment, "lock_row", lambda model, object_id: None)
    session_id = SessionFactory(seats=2).id
    people = [member().id for _ in range(6)]

    run_side_by_side(app, [_enrol(person, session_id) for person in people], pause_after="from enrolments")

    assert sum(e.status == "confirmed" for e in _enrolments(session_id)) > 2
