"""Application services: start, save, submit (deadline, completeness, references), withdraw, remind."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select, update

from cade.applications import services
from cade.applications.constants import ApplicationStatus
from cade.applications.models import APPLICATION_MACHINE, Application
from cade.applications.services import DraftInput
from cade.core.audit import AuditEvent
from cade.core.errors import (
    DeadlinePassed,
    InvalidTransition,
    NotEligible,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.programmes.constants import QuestionKind
from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
    QuestionFactory,
    UserFactory,
)

def count(model, *where):
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- start -----------------------------------------------------------------

def test_start_creates_one_draft_and_a_second_start_returns_it(call, member, organisation):
    first = services.start_application(member, call.id, organisation.id)
    _db.session.commit()
    second = services.start_application(member, call.id, organisation.id)
    assert second.id == first.id
    assert first.status == ApplicationStatus.DRAFT and first.created_by_id == member.id
    assert count(Application) == 1
    assert count(AuditEvent, AuditEvent.verb == "application.started") == 1


def test_start_refuses_non_members_unverified_and_unknown(call, organisation):
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        services.start_application(stranger, call.id, organisation.id)
    unverified = MembershipFactory(organisation=organisation, user=UserFactory(unverified=True)).user
    with pytest.raises(PermissionDenied, match="confirm your e-mail"):
        services.start_application(unverified, call.id, organisation.id)
    with pytest.raises(NotFound):
        services.start_application(stranger, 999_999, organisation.id)
    assert count(Application) == 0


def test_start_refuses_closed_draft_and_upcoming_calls(member, organisation):
    with pytest.raises(DeadlinePassed, match="Africa/Nairobi"):
        services.start_application(member, CallFactory(closed=True).id, organisation.id)
    with pytest.raises(InvalidTransition):
        services.start_application(member, CallFactory(draft=True).id, organisation.id)
    upcoming = CallFactory(opens_at=utcnow() + timedelta(days=1))
    with pytest.raises(InvalidTransition):
        services.start_application(member, upcoming.id, organisation.id)
    assert count(Application) == 0


def test_start_refuses_an_ineligible_organisation_with_reasons(member, organisation):
    call = CallFactory(eligible_countries=["UG"])
    with pytest.raises(NotEligible) as info:
        services.start_application(member, call.id, organisation.id)
    assert "Kenya" in info.value.message
    assert count(Application) == 0


def test_start_after_a_race_returns_the_existing_draft(call, member, organisation, monkeypatch):
    existing = ApplicationFactory(call=call, organisation=organisation)
    real = services.drafts.find_live_application
    looks = []

    def first_look_misses(*args):
        # The first look misses the row, as when another request inserts it a moment later.
        looks.append(args)
        return None if len(looks) == 1 else real(*args)

    monkeypatch.setattr(services.drafts, "find_live_application", first_look_misses)
    again = services.start_application(member, call.id, organisation.id)
    assert again.id == existing.id
    assert count(Application) == 1


# --- save ------------------------------------------------------------------

@pytest.fixture()
def questions(call):
    return {
        "short": QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, word_limit=None),
        "long": QuestionFactory(call=call, kind=QuestionKind.LONG_TEXT, word_limit=5),
        "number": QuestionFactory(call=call, kind=QuestionKind.NUMBER, word_limit=None),
        "choice": QuestionFactory(call=call, kind=QuestionKind.CHOICE, choices=["Rural", "Urban"]),
        "date": QuestionFactory(call=call, kind=QuestionKind.DATE, word_limit=None),
        "optional": QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, required=False),
    }


def typed(application, **data) -> DraftInput:
    """What a boundary hands save_draft: the input cleaned into a DraftInput, amounts in the call's currency."""
    return DraftInput.from_input(data, currency=application.call.currency)


def full_answers(q):
    return {q["short"].id: "Mesh for Kibera", q["long"].id: "Five words are enough here",
            q["number"].id: Decimal("300"), q["choice"].id: "Rural", q["date"].id: date(2026, 9, 1)}


def test_save_draft_keeps_incomplete_work(draft, member, questions):
    services.save_draft(member, draft.id, typed(draft, title="  ", answers={questions["short"].id: "Half"}))
    _db.session.commit()
    _db.session.expire_all()
    assert draft.title == "" and draft.summary == "We will connect three villages."  # summary kept
    assert [a.text for a in draft.answers] == ["Half"]


def test_save_draft_stores_every_question_type_and_replaces_budget(draft, member, questions):
    services.save_draft(member, draft.id, typed(
        draft, answers=full_answers(questions),
        budget_lines=[{"category": "equipment", "description": "Routers", "amount": "15000"},
                      {"category": "training", "description": "Workshops", "amount": Decimal("5000.00")}]))
    _db.session.commit()
    _db.session.expire_all()
    by_question = {a.question_id: a for a in draft.answers}
    assert by_question[questions["number"].id].number == Decimal("300")
    assert by_question[questions["date"].id].date_value == date(2026, 9, 1)
    assert [(line.category, line.amount_minor) for line in draft.budget_lines] == [
        ("equipment", 15_000_00), ("training", 5_000_00)]
    services.save_draft(member, draft.id, typed(draft, answers={questions["short"].id: ""}))
    _db.session.commit()
    assert questions["short"].id not in {a.question_id for a in draft.answers}


@pytest.mark.parametrize("key, value", [
    ("short", "x" * 301), ("choice", "Suburban"), ("number", "twelve"), ("date", "2026-13-45"),
])
def test_save_draft_refuses_wrong_shapes_and_saves_nothing(draft, member, questions, key, value):
    with pytest.raises(ValidationFailed) as info:
        services.save_draft(member, draft.id, typed(draft, title="Changed", answers={questions[key].id: value}))
    _db.session.rollback()
    assert f"q_{questions[key].id}" in info.value.errors
    assert _db.session.get(Application, draft.id).title != "Changed"


def test_a_draft_input_refuses_bad_budget_lines_and_amounts_by_name(draft):
    with pytest.raises(ValidationFailed) as info:
        typed(draft, requested_amount="-5",
              budget_lines=[{"category": "bribes", "description": "x", "amount": "0.01"},
                            {"category": "travel", "description": "y", "amount": "-1"}])
    assert set(info.value.errors) == {"requested_amount", "budget_lines-0-category", "budget_lines-1-amount"}
    assert [str(m) for m in info.value.errors["budget_lines-1-amount"]] == ["Enter an amount of zero or more."]


def test_a_draft_input_leaves_what_was_not_sent_as_it_is(draft):
    command = typed(draft, title="Only the title")
    assert command.title == "Only the title"
    assert services.KEEP is command.summary is command.requested_amount_minor is command.budget_lines
    assert command.answers == {}


def test_save_draft_refuses_strangers_and_submitted_applications(draft, member):
    with pytest.raises(PermissionDenied):
        services.save_draft(UserFactory(), draft.id, typed(draft, title="Hijack"))
    submitted = ApplicationFactory(submitted=True, organisation=draft.organisation)
    with pytest.raises(InvalidTransition):
        services.save_draft(member, submitted.id, typed(submitted, title="Late change"))
    _db.session.rollback()
    assert _db.session.get(Application, submitted.id).title != "Late change"


# --- submit: completeness ---------------------------------------------------

def test_complete_draft_is_submitted_with_a_reference_and_receipts(draft, member, organisation):
    colleague = MembershipFactory(organisation=organisation, role="member").user
    application = services.submit_application(member, draft.id)
    _db.session.commit()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.reference == "CN-2026-0001"
    assert application.submitted_at is not None
    receipts = _db.session.scalars(select(Notification).where(Notification.kind == "applications.submitted")
                                   .order_by(Notification.recipient_id)).all()
    assert {n.recipient_id for n in receipts} == {member.id, colleague.id}
    context = receipts[0].context
    assert context["reference"] == "CN-2026-0001" and context["application_id"] == draft.id
    assert context["call_title"] == draft.call.title and context["organisation_name"] == organisation.name
    assert context["title"] == draft.title
    assert datetime.fromisoformat(context["submitted_at"]) == application.submitted_at
    assert count(AuditEvent, AuditEvent.verb == "application.submitted") == 1


def test_incomplete_draft_lists_every_problem_by_field(call, organisation, member, questions):
    application = ApplicationFactory(call=call, organisation=organisation, title="", summary="",
                                     requested_amount_minor=None)
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(member, application.id)
    errors = info.value.errors
    for name in ["title", "summary", "requested_amount", "budget_lines",
                 *(f"q_{q.id}" for key, q in questions.items() if key != "optional")]:
        assert name in errors, name
    assert f"q_{questions['optional'].id}" not in errors
    _db.session.rollback()
    assert _db.session.get(Application, application.id).status == ApplicationStatus.DRAFT


def test_all_question_types_answered_pass(draft, member, questions):
    services.save_draft(member, draft.id, typed(draft, answers=full_answers(questions)))
    assert services.submit_application(member, draft.id).reference == "CN-2026-0001"


def test_word_limit_counts_words_not_characters(draft, member, questions):
    long_id = questions["long"].id
    answers = full_answers(questions)
    answers[long_id] = "one two three four five six"
    services.save_draft(member, draft.id, typed(draft, answers=answers))  # a draft may be over the limit
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(member, draft.id)
    assert list(info.value.errors) == [f"q_{long_id}"]
    assert "6" in str(info.value.errors[f"q_{long_id}"][0])
    answers[long_id] = "supercalifragilistic " * 5
    services.save_draft(member, draft.id, typed(draft, answers=answers))
    assert services.submit_application(member, draft.id).status == ApplicationStatus.SUBMITTED


def test_required_file_question_needs_an_attachment(draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.FILE, word_limit=None)
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(member, draft.id)
    assert list(info.value.errors) == [f"q_{question.id}"]


def test_budget_must_add_up_to_the_request(draft, member):
    BudgetLineFactory(application=draft, amount_minor=1)
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(member, draft.id)
    assert list(info.value.errors) == ["budget_lines"]
    assert "$20,000.01" in info.value.errors["budget_lines"][0]


@pytest.mark.parametrize("amount, ok", [(999_99, False), (1_000_00, True), (40_000_00, True), (40_000_01, False)])
def test_request_must_be_within_min_and_max_award(draft, member, amount, ok):
    draft.requested_amount_minor = amount
    draft.budget_lines[0].amount_minor = amount
    _db.session.commit()
    if ok:
        assert services.submit_application(member, draft.id).status == ApplicationStatus.SUBMITTED
    else:
        with pytest.raises(ValidationFailed) as info:
            services.submit_application(member, draft.id)
        assert list(info.value.errors) == ["requested_amount"]


def test_ineligible_organisation_cannot_submit(draft, member):
    draft.call.eligible_organisation_types = ["academic"]
    _db.session.commit()
    with pytest.raises(NotEligible):
        services.submit_application(member, draft.id)


def test_strangers_cannot_submit(draft):
    with pytest.raises(PermissionDenied):
        services.submit_application(UserFactory(), draft.id)


# --- submit: deadline --------------------------------------------------------

CLOSES = datetime(2026, 3, 31, 20, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Nairobi


@pytest.fixture()
def deadline_draft(organisation, member):
    call = CallFactory(reference_prefix="DL", opens_at=CLOSES - timedelta(days=30), closes_at=CLOSES,
                       timezone="Africa/Nairobi")
    application = ApplicationFactory(call=call, organisation=organisation, requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    return application


def test_submission_exactly_at_the_deadline_is_on_time(deadline_draft, member):
    with time_machine.travel(CLOSES, tick=False):
        application = services.submit_application(member, deadline_draft.id)
    assert application.submitted_at == CLOSES


def test_submission_one_second_late_is_refused_and_the_draft_kept(deadline_draft, member):
    with time_machine.travel(CLOSES + timedelta(seconds=1), tick=False):
        with pytest.raises(DeadlinePassed) as info:
            services.submit_application(member, deadline_draft.id)
    message = info.value.message
    assert "Africa/Nairobi" in message and "11:59:59" in message and "Mar 31, 2026" in message
    _db.session.rollback()
    kept = _db.session.get(Application, deadline_draft.id)
    assert kept.status == ApplicationStatus.DRAFT and kept.reference is None and kept.title


def test_deadline_uses_the_given_clock(deadline_draft, member):
    with pytest.raises(DeadlinePassed):
        services.submit_application(member, deadline_draft.id, now=CLOSES + timedelta(microseconds=1))


# --- submit: references --------------------------------------------------------

def _complete_draft(call, **kwargs):
    application = ApplicationFactory(call=call, requested_amount_minor=10_000_00, **kwargs)
    BudgetLineFactory(application=application, amount_minor=10_000_00)
    MembershipFactory(organisation=application.organisation)
    return application


def _member_of(application):
    return application.organisation.memberships[0].user


def test_references_are_gapless_per_call_even_after_a_failed_submission(call, monkeypatch):
    other_call = CallFactory(reference_prefix="TS-2026")
    a, b, c = (_complete_draft(call) for _ in range(3))
    elsewhere = _complete_draft(other_call)

    assert services.submit_application(_member_of(a), a.id).reference == "CN-2026-0001"
    _db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("mail outbox unavailable")

    monkeypatch.setattr(services.submission, "notify", broken)
    with pytest.raises(RuntimeError):
        services.submit_application(_member_of(b), b.id)
    _db.session.rollback()
    monkeypatch.undo()

    assert services.submit_application(_member_of(c), c.id).reference == "CN-2026-0002"
    _db.session.commit()
    assert services.submit_application(_member_of(b), b.id).reference == "CN-2026-0003"
    assert services.submit_application(_member_of(elsewhere), elsewhere.id).reference == "TS-2026-0001"
    _db.session.commit()
    _db.session.expire_all()
    assert call.last_reference_number == 3


def test_double_submit_gives_one_reference_and_one_receipt_per_member(draft, member, organisation):
    MembershipFactory(organisation=organisation, role="member")
    services.submit_application(member, draft.id)
    _db.session.commit()
    with pytest.raises(services.AlreadySubmitted):
        services.submit_application(member, draft.id)
    _db.session.rollback()
    _db.session.expire_all()
    assert draft.call.last_reference_number == 1
    assert count(Notification, Notification.kind == "applications.submitted") == 2


def test_a_stale_second_submission_loses_the_compare_and_set(draft, member):
    """Both requests read "draft"; the second one's UPDATE finds the status changed."""
    other = _db.session.get(Application, draft.id)
    _db.session.execute(Application.__table__.update().where(Application.__table__.c.id == draft.id)
                        .values(status="submitted", reference="CN-2026-0001"))
    assert other.status == ApplicationStatus.DRAFT  # the stale view of the first request
    with pytest.raises(services.AlreadySubmitted):
        services.submit_application(member, draft.id)
    _db.session.rollback()
    _db.session.expire_all()
    assert draft.call.last_reference_number == 0
    assert count(Notification) == 0


# --- withdraw -------------------------------------------------------------------

def test_withdraw_then_start_again(draft, member, call, organisation):
    services.submit_application(member, draft.id)
    services.withdraw_application(member, draft.id)
    _db.session.commit()
    assert draft.status == ApplicationStatus.WITHDRAWN and draft.withdrawn_at is not None
    fresh = services.start_application(member, call.id, organisation.id)
    _db.session.commit()
    assert fresh.id != draft.id and fresh.status == ApplicationStatus.DRAFT


def test_withdraw_is_refused_once_review_started_and_for_strangers(draft, member):
    with pytest.raises(PermissionDenied):
        services.withdraw_application(UserFactory(), draft.id)
    draft.status = ApplicationStatus.UNDER_REVIEW
    _db.session.commit()
    with pytest.raises(InvalidTransition):
        services.withdraw_application(member, draft.id)


def test_transition_table_is_enforced(draft, member):
    with pytest.raises(InvalidTransition):
        APPLICATION_MACHINE.move(member, draft, ApplicationStatus.AWARDED)
    APPLICATION_MACHINE.move(member, draft, ApplicationStatus.WITHDRAWN)
    with pytest.raises(InvalidTransition):
        APPLICATION_MACHINE.move(member, draft, ApplicationStatus.SUBMITTED)
    assert count(AuditEvent, AuditEvent.verb == "application.withdrawn") == 1


def test_the_table_of_moves_is_the_one_of_the_design(db):
    """DESIGN §4: draft → submitted → under_review → awarded | waitlisted | rejected; draft|submitted → withdrawn;
    waitlisted → awarded; and (issue 14) submitted|under_review → information requested → back, and a concept
    note under review → shortlisted."""
    assert sorted(APPLICATION_MACHINE.edges()) == sorted([
        ("draft", "submitted"), ("draft", "withdrawn"), ("submitted", "under_review"), ("submitted", "withdrawn"),
        ("under_review", "awarded"), ("under_review", "waitlisted"), ("under_review", "rejected"),
        ("waitlisted", "awarded"),
        ("submitted", "info_requested"), ("under_review", "info_requested"),
        ("info_requested", "submitted"), ("info_requested", "under_review"), ("under_review", "shortlisted"),
    ])
    assert APPLICATION_MACHINE.sources(ApplicationStatus.WITHDRAWN) == (ApplicationStatus.DRAFT,
                                                                        ApplicationStatus.SUBMITTED)


def test_a_withdrawal_that_loses_to_a_decision_a_moment_earlier_is_refused_with_the_usual_message(draft, member):
    services.submit_application(member, draft.id)
    _db.session.commit()
    # An administrator's decision put it under review after this request read it as submitted.
    _db.session.execute(update(Application.__table__).where(Application.__table__.c.id == draft.id)
                        .values(status=ApplicationStatus.UNDER_REVIEW))
    with pytest.raises(InvalidTransition, match="can no longer be withdrawn"):
        services.withdraw_application(member, draft.id)
    assert draft.status == ApplicationStatus.UNDER_REVIEW and draft.withdrawn_at is None


# --- reminders --------------------------------------------------------------------

def test_closing_reminders_reach_every_member_once(db):
    now = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    week = CallFactory(reference_prefix="W", closes_at=now + timedelta(days=6), opens_at=now - timedelta(days=9))
    soon = CallFactory(reference_prefix="S", closes_at=now + timedelta(hours=47), opens_at=now - timedelta(days=9))
    far = CallFactory(reference_prefix="F", closes_at=now + timedelta(days=8), opens_at=now - timedelta(days=9))
    draft_week = ApplicationFactory(call=week)
    MembershipFactory(organisation=draft_week.organisation)
    MembershipFactory(organisation=draft_week.organisation)
    draft_soon = ApplicationFactory(call=soon)
    MembershipFactory(organisation=draft_soon.organisation)
    MembershipFactory(organisation=ApplicationFactory(call=far).organisation)
    MembershipFactory(organisation=ApplicationFactory(call=week, submitted=True).organisation)
    unpublished = CallFactory(draft=True, closes_at=now + timedelta(days=2), opens_at=now - timedelta(days=9))
    MembershipFactory(organisation=ApplicationFactory(call=unpublished).organisation)

    assert services.queue_call_closing_reminders(now=now) == 3
    _db.session.commit()
    assert services.queue_call_closing_reminders(now=now) == 0
    assert services.queue_call_closing_reminders(now=now + timedelta(hours=1)) == 0
    _db.session.commit()
    kinds = sorted(n.kind for n in _db.session.scalars(select(Notification)))
    assert kinds == ["applications.call_closing_48h", "applications.call_closing_7d",
                     "applications.call_closing_7d"]
    # Four days later the week call is within 48 hours (one more per member of that
    # draft) and the far call within 7 days.
    assert services.queue_call_closing_reminders(now=now + timedelta(days=4, hours=1)) == 3
    _db.session.commit()
    assert count(Notification) == 6
    row = _db.session.scalars(select(Notification).where(Notification.kind == "applications.call_closing_48h")
                              .order_by(Notification.id)).first()
    assert row.context["application_id"] == draft_soon.id and row.context["call_title"] == soon.title
    assert row.context["deadline"] == {"at": soon.closes_at.isoformat(), "zone": "Africa/Nairobi"}


def test_send_reminders_command_prints_the_count(app, db):
    now = utcnow()
    call = CallFactory(closes_at=now + timedelta(days=3))
    MembershipFactory(organisation=ApplicationFactory(call=call).organisation)
    runner = app.test_cli_runner()
    assert "Queued 1 reminder(s)." in runner.invoke(args=["send-reminders"]).output
    assert "Queued 0 reminder(s)." in runner.invoke(args=["send-reminders"]).output


def test_a_call_with_applications_keeps_its_reference_prefix_and_questions(db, admin):
    from cade.core.errors import DomainError
    from cade.programmes import services as programme_services
    from tests.factories import ApplicationFactory, QuestionFactory

    application = ApplicationFactory()
    question = QuestionFactory(call=application.call)
    renamed = programme_services.CallInput.from_input(
        {**programme_services.call_as_input(application.call), "reference_prefix": "OTHER-2026"},
        currency=application.call.currency)
    with pytest.raises(DomainError):
        programme_services.update_call(admin, application.call_id, renamed)
    with pytest.raises(DomainError):
        programme_services.delete_question(admin, question.id)


def test_applications_move_together_each_audited_and_refused_as_a_whole_when_one_has_moved(admin):
    from cade.core.audit import AuditEvent
    from cade.core.errors import InvalidTransition
    from tests.factories import ApplicationFactory, CallFactory

    call = CallFactory(closed=True)
    first, second = (ApplicationFactory(call=call, submitted=True) for _ in range(2))
    ids = [first.id, second.id]

    moved = APPLICATION_MACHINE.move_many(admin, ids, ApplicationStatus.UNDER_REVIEW,
                                          from_statuses=[ApplicationStatus.SUBMITTED])
    _db.session.commit()
    assert sorted(moved) == sorted(ids)
    assert {_db.session.get(type(first), i).status for i in ids} == {ApplicationStatus.UNDER_REVIEW}
    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "application.under_review")).all()
    assert sorted(e.object_id for e in events) == sorted(ids)
    assert all(e.before == {"status": "submitted"} and e.after == {"status": "under_review"} for e in events)
    assert all(e.actor_id == admin.id for e in events)

    # A move the table of transitions does not allow is refused, and so is a batch where one has already moved.
    with pytest.raises(InvalidTransition):
        APPLICATION_MACHINE.move_many(admin, ids, ApplicationStatus.DRAFT,
                                      from_statuses=[ApplicationStatus.UNDER_REVIEW])
    _db.session.rollback()
    with pytest.raises(InvalidTransition):
        APPLICATION_MACHINE.move_many(admin, [first.id, ApplicationFactory(call=call, submitted=True).id],
                                      ApplicationStatus.UNDER_REVIEW, from_statuses=[ApplicationStatus.SUBMITTED])
    _db.session.rollback()
    assert _db.session.get(type(first), first.id).status == ApplicationStatus.UNDER_REVIEW
