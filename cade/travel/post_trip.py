"""Post-trip reports: the call's post-trip questionnaire, written and submitted by the traveller or an owner,
due on the trip's `post_trip_due_on`; and which reports are overdue — the one definition the eligibility rule,
the person check and the reminders ask.

A trip's report is overdue on `today` when the trip has a due date (set when
the travel is approved), that date is before `today`, and no submitted
report exists. The condition is plain SQL, the same on SQLite and PostgreSQL.
Answers are cleaned and stored by cade/core/questionnaires, as every
questionnaire's are.
"""

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from cade.applications.models import Application
from cade.core.audit import record_event
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.core.forms import parse_decimal_input
from cade.core.questionnaires import QuestionKind, answer_errors, clean_answer, store_answers
from cade.extensions import db
from cade.travel.constants import PostTripStatus
from cade.travel.models import PostTripAnswer, PostTripReport, TravelSettings, Trip
from cade.travel.traveller_access import is_approved, trip_for_writer

# ---------------------------------------------------------------- overdue


def submitted_clause() -> ColumnElement[bool]:
    """A WHERE condition on Trip: its post-trip report is submitted."""
    return exists(select(PostTripReport.id).where(PostTripReport.trip_id == Trip.id,
                                                  PostTripReport.status == PostTripStatus.SUBMITTED))


def overdue_clause(today: date) -> ColumnElement[bool]:
    """A WHERE condition on Trip: its post-trip report is overdue on `today` (see the module docstring)."""
    return and_(Trip.post_trip_due_on.is_not(None), Trip.post_trip_due_on < today, ~submitted_clause())


def trips_where(*criteria) -> list[Trip]:
    return list(db.session.scalars(
        select(Trip).join(Application, Application.id == Trip.application_id)
        .options(joinedload(Trip.event), joinedload(Trip.traveller), joinedload(Trip.application))
        .where(*criteria).order_by(Trip.post_trip_due_on, Trip.id)).unique())


def overdue_trips_of_organisations(organisation_ids, today: date) -> dict[int, list[Trip]]:
    """{organisation id: its trips with an overdue post-trip report, oldest due first} (one query)."""
    found: dict[int, list[Trip]] = {}
    for trip in trips_where(Application.organisation_id.in_(list(organisation_ids)), overdue_clause(today)):
        found.setdefault(trip.application.organisation_id, []).append(trip)
    return found


def overdue_trips_of_person(email_or_user, today: date) -> list[Trip]:
    """The trips of one person (a user: their account or their address; or an e-mail address) whose post-trip
    report is overdue, whichever organisation sent them (one query)."""
    user_id = getattr(email_or_user, "id", None)
    email = getattr(email_or_user, "email", email_or_user)
    if not isinstance(email, str):
        email = None
    who = []
    if user_id is not None:
        who.append(Trip.traveller_user_id == user_id)
    if email and email.strip():
        who.append(func.lower(Trip.traveller_email) == email.strip().lower())
    if not who:
        return []
    return trips_where(or_(*who), overdue_clause(today))


def overdue_reason(trip: Trip) -> str:
    """Why an overdue report blocks, naming the traveller, the event and the due date in the reader's language."""
    from cade.travel.traveller_access import traveller_name

    return str(_l("The post-trip report of %(traveller)s on “%(event)s” was due on %(date)s and has not been "
                  "submitted. Until it is, they cannot be supported to travel again.",
                  traveller=traveller_name(trip), event=trip.event.name if trip.event else trip.application.title,
                  date=format_date(trip.post_trip_due_on, "long")))


def person_blocked(email_or_user, today: date | None = None) -> list[str]:
    """Why this person may not be named as a traveller now (an overdue post-trip report of any organisation's
    trip); empty when they may. For the trip's completeness check."""
    return [overdue_reason(trip) for trip in overdue_trips_of_person(email_or_user, today or utcnow().date())]


# ---------------------------------------------------------------- writing


def typed_answer(question, raw, locale: str):
    """A typed answer as its kind cleans it: a number read in the reader's language, an ISO date; what cannot be
    read is passed on as it is, so the kind refuses it in its own words."""
    if not isinstance(raw, str) or not raw.strip():
        return raw
    try:
        if question.kind == QuestionKind.NUMBER:
            return parse_decimal_input(raw, locale)
        if question.kind == QuestionKind.DATE:
            return date.fromisoformat(raw.strip())
    except ValueError:
        return raw
    return raw


def questions_of(trip: Trip) -> list:
    settings = db.session.get(TravelSettings, trip.application.call_id)
    if settings is None or settings.post_trip_questionnaire is None:
        return []
    return list(settings.post_trip_questionnaire.questions)


def report_of(trip: Trip) -> PostTripReport | None:
    return db.session.scalar(select(PostTripReport).where(PostTripReport.trip_id == trip.id))


def _writable(actor, trip_id: int) -> tuple[Trip, PostTripReport]:
    trip = trip_for_writer(actor, trip_id)
    if not is_approved(trip) or trip.post_trip_due_on is None:
        raise InvalidTransition(_l("This trip has not been approved: there is no post-trip report to write."))
    report = report_of(trip)
    if report is None:
        report = PostTripReport(trip_id=trip.id)
        db.session.add(report)
        db.session.flush()
    lock_row(PostTripReport, report.id)
    db.session.refresh(report)
    if report.status == PostTripStatus.SUBMITTED:
        raise _submitted(report)
    return trip, report


def _submitted(report: PostTripReport) -> InvalidTransition:
    return InvalidTransition(_l("This report was submitted on %(day)s and can no longer be changed.",
                                day=format_date(report.submitted_at, "long") if report.submitted_at else ""))


def save_post_trip(actor, trip_id: int, answers: dict, locale: str = "en") -> PostTripReport:
    """Save typed answers {question id: raw value} to the trip's draft report; incomplete is fine.

    Raises NotFound (not the traveller or an owner), InvalidTransition (not
    approved, or submitted) and ValidationFailed on `q_<id>` for a malformed
    answer (nothing is saved then). Flushes, never commits.
    """
    trip, report = _writable(actor, trip_id)
    questions = {question.id: question for question in questions_of(trip)}
    errors: dict[str, list] = {}
    cleaned = {}
    for question_id, raw in answers.items():
        question = questions.get(question_id)
        if question is None:
            errors.setdefault(f"q_{question_id}", []).append(_l("This question is not part of the report."))
            continue
        values, problems = clean_answer(question, typed_answer(question, raw, locale))
        if problems:
            errors.setdefault(question.field_name, []).extend(problems)
        cleaned[question_id] = values
    if errors:
        raise ValidationFailed(errors)
    store_answers(report.answers, lambda question_id: PostTripAnswer(question_id=question_id), cleaned)
    db.session.flush()
    return report


def completeness_errors(trip: Trip, report: PostTripReport) -> dict[str, list]:
    answers = {answer.question_id: answer for answer in report.answers}
    errors: dict[str, list] = {}
    for question in questions_of(trip):
        for message in answer_errors(question, answers.get(question.id)):
            errors.setdefault(question.field_name, []).append(message)
    return errors


def submit_post_trip(actor, trip_id: int, answers: dict, locale: str = "en") -> PostTripReport:
    """Save, check every required answer, then submit (draft → submitted, once); audited
    `post_trip_report.submitted`. Submitted, it lifts the block on the traveller and the organisation.

    Raises what `save_post_trip` raises, and ValidationFailed with what is
    missing (the save is the caller's to keep). Flushes, never commits.
    """
    report = save_post_trip(actor, trip_id, answers, locale)
    trip = report.trip
    errors = completeness_errors(trip, report)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    moved = db.session.execute(
        update(PostTripReport).where(PostTripReport.id == report.id, PostTripReport.status == PostTripStatus.DRAFT)
        .values(status=PostTripStatus.SUBMITTED, submitted_at=now, submitted_by_id=actor.id)
        .execution_options(synchronize_session="fetch")).rowcount
    db.session.refresh(report)
    if not moved:
        raise _submitted(report)
    record_event(actor, "post_trip_report.submitted", report, {"status": PostTripStatus.DRAFT},
                 {"status": PostTripStatus.SUBMITTED, "trip_id": trip.id,
                  "due_on": trip.post_trip_due_on.isoformat() if trip.post_trip_due_on else None})
    return report
