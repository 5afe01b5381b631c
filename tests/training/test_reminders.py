"""The "session tomorrow" reminder: once per participant, about a day before, in their language, by beat."""

from datetime import timedelta

import tasks  # noqa: F401  (registers the tasks)
from cade.core.db import utcnow
from cade.notifications.rendering import render_notification
from cade.training import services
from cade.training.constants import EnrolmentStatus
from cade.training.forms import session_form_data
from cade.training.services import SessionInput
from cade.training.services.reminders import REMINDER_WINDOW, queue_session_reminders
from tests.factories import EnrolmentFactory, SessionFactory, UserFactory

KIND = "training.session_tomorrow"


def _session(hours_ahead: float, **kwargs):
    start = utcnow() + timedelta(hours=hours_ahead)
    return SessionFactory(starts_at=start, enrolment_opens_at=start - timedelta(days=9),
                          enrolment_closes_at=start - timedelta(minutes=30), **kwargs)


def test_each_confirmed_participant_is_reminded_once(db, outbox):
    session = _session(23.5)
    seats = [EnrolmentFactory(session=session) for _ in range(3)]
    EnrolmentFactory(session=session, status=EnrolmentStatus.WAITLISTED, waitlist_position=1)
    EnrolmentFactory(session=session, status=EnrolmentStatus.CANCELLED)

    assert queue_session_reminders() == 3
    db.session.commit()
    assert queue_session_reminders() == 0  # the next hourly run, or a second worker: nothing more
    db.session.commit()

    rows = outbox(KIND)
    assert sorted(row.recipient_id for row in rows) == sorted(e.user_id for e in seats)
    assert all(row.context["session_id"] == session.id for row in rows)


def test_only_sessions_starting_about_a_day_from_now(db, outbox):
    earliest, latest = REMINDER_WINDOW
    inside = [_session(latest.total_seconds() / 3600 - 0.1), _session(earliest.total_seconds() / 3600 + 0.1)]
    outside = [_session(latest.total_seconds() / 3600 + 1), _session(earliest.total_seconds() / 3600 - 0.5),
               _session(-1), _session(24 * 5)]
    for session in inside + outside:
        EnrolmentFactory(session=session)
    assert queue_session_reminders() == len(inside)
    assert {row.context["session_id"] for row in outbox(KIND)} == {s.id for s in inside}
    # A session that moves into the window later is reminded then: one hourly run after another.
    assert queue_session_reminders(now=utcnow() + timedelta(hours=1)) == 1
    assert timedelta(hours=20) <= earliest < latest <= timedelta(hours=26)


def test_cancelled_sessions_and_enrolments_get_nothing(db, admin, outbox):
    session = _session(23)
    EnrolmentFactory(session=session)
    services.cancel_session(admin, session.id)
    left = _session(23)
    EnrolmentFactory(session=left, status=EnrolmentStatus.CANCELLED)
    db.session.commit()
    assert queue_session_reminders() == 0 and outbox(KIND) == []


def test_a_session_moved_to_another_day_is_reminded_again(db, admin, outbox):
    session = _session(23)
    EnrolmentFactory(session=session)
    assert queue_session_reminders() == 1
    data = session_form_data(session)
    data.update(starts_at=data["starts_at"] + timedelta(days=2), ends_at=data["ends_at"] + timedelta(days=2),
                enrolment_closes_at=data["starts_at"])
    services.update_session(admin, session.id, SessionInput.from_input(data))
    db.session.commit()
    assert queue_session_reminders(now=utcnow() + timedelta(days=2)) == 1
    assert len(outbox(KIND)) == 2


def test_the_reminder_is_in_the_participants_language_with_both_times_and_the_calendar_file(db, outbox):
    session = _session(23.5, timezone="Africa/Nairobi", place="Nairobi Garage", online_url=None)
    person = UserFactory(locale="fr", timezone="America/Sao_Paulo")
    EnrolmentFactory(session=session, user=person)
    queue_session_reminders()
    row = outbox(KIND)[0]
    assert row.locale == "fr"
    subject, text, html = render_notification(row)
    assert session.course.title in subject
    assert "(Africa/Nairobi)" in text and "(America/Sao_Paulo)" in text
    assert "Nairobi Garage" in text and "Nairobi Garage" in html
    assert f"/training/sessions/{session.id}.ics" in text and f"/training/sessions/{session.id}.ics" in html
    _english, english_text, _html = render_notification(row, "en")
    assert english_text != text  # dates written the French way (the catalogue fills in the sentences)


def test_an_online_sessions_reminder_carries_its_link(db, outbox):
    session = _session(23.5, place=None, online_url="https://meet.example.org/xyz")
    EnrolmentFactory(session=session)
    queue_session_reminders()
    _subject, text, _html = render_notification(outbox(KIND)[0], "en")
    assert "https://meet.example.org/xyz" in text  # a confirmed participant: the link is theirs


def test_the_hourly_beat_entry_runs_the_registered_task(app, db, outbox):
    celery = app.extensions["celery"]
    entries = [e for e in celery.conf.beat_schedule.values() if e["task"] == "training.session_reminders"]
    assert len(entries) == 1 and entries[0]["task"] in celery.tasks
    schedule = entries[0]["schedule"]
    assert getattr(schedule, "hour", None) == set(range(24)) and len(schedule.minute) == 1  # hourly

    EnrolmentFactory(session=_session(23.5))
    db.session.commit()
    assert celery.tasks["training.session_reminders"].apply().get() == 1
    assert celery.tasks["training.session_reminders"].apply().get() == 0
    assert len(outbox(KIND)) == 1
