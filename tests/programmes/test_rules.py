"""Second-pass checks on programme rules: amounts, clock changes, moved deadlines, concurrent edits,
and that every admin page is closed to everyone else."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.errors import ValidationFailed
from cade.extensions import db as _db
from cade.programmes import services
from cade.programmes.models import Call, Question
from tests.factories import CallFactory, ProgrammeFactory, QuestionFactory, RubricCriterionFactory, UserFactory
from tests.concurrency import run_side_by_side
from tests.programmes.test_services import call_input, changed_call, errors_of, question_input
from tests.programmes.test_views import CALL_FORM


@pytest.fixture()
def programme(db):
    return ProgrammeFactory(currency="USD")


# --- amounts too large for any grant, or not numbers at all ----------------------------

NOT_AN_AMOUNT = "Enter an amount in USD with at most 2 decimal places."


@pytest.mark.parametrize("value, message", [
    ("10000000000000.01", "This amount is too large."), ("1E+30", "This amount is too large."),
    ("99999999999999999999999", "This amount is too large."), ("1e999999999", "This amount is too large."),
    ("Infinity", NOT_AN_AMOUNT), ("-Infinity", NOT_AN_AMOUNT), ("NaN", NOT_AN_AMOUNT), ("sNaN", NOT_AN_AMOUNT),
    ("-1E+30", "The amount must be more than zero."),
])
def test_amounts_beyond_any_grant_or_not_finite_are_refused(db, admin, programme, value, message):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, budget_envelope=value))
    assert errors_of(excinfo)["budget_envelope"] == [message]


def test_the_largest_allowed_amount_is_stored_exactly(db, admin, programme):
    top = "10000000000000.00"  # 10**15 cents
    call = services.create_call(admin, programme.id,
                                call_input(programme, budget_envelope=top, max_award=top, min_award="1"))
    _db.session.commit()
    _db.session.expire_all()
    assert _db.session.get(Call, call.id).budget_envelope_minor == 10**15


@pytest.mark.parametrize("value, message", [
    ("1e30", "This number is too large."), ("Infinity", "Enter a number."), ("NaN", "Enter a number."),
    # Numbers the form reads; the service refuses them.
    ("10000000000000.01", "This amount is too large."), ("-5", "The amount must be more than zero."),
])
def test_the_call_form_answers_huge_or_odd_amounts_with_a_message(client, login, admin, programme, value, message):
    login(admin)
    response = client.post(f"/admin/programmes/{programme.id}/calls/new", data={**CALL_FORM, "budget_envelope": value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="budget_envelope-error">(.*?)</p>', page, re.S)
    assert error and error.group(1).strip() == message
    assert f'value="{value}"' in page  # what was typed stays in the field
    assert _db.session.scalar(select(Call)) is None


def test_the_call_form_reads_amounts_the_way_the_admin_writes_them(client, login, admin, programme):
    admin.locale = "fr"
    _db.session.commit()
    login(admin)
    response = client.post(f"/admin/programmes/{programme.id}/calls/new",
                           data={**CALL_FORM, "budget_envelope": "100 000,50", "max_award": "40\u202f000"})
    assert response.status_code == 302
    call = _db.session.scalar(select(Call))
    assert (call.budget_envelope_minor, call.max_award_minor) == (100_000_50, 40_000_00)


# --- clocks going back: a time that happens twice ----------------------------------------

def test_a_time_in_the_repeated_hour_is_read_as_its_first_occurrence(db, admin, programme):
    # Paris goes from 03:00 summer time back to 02:00 on 25 October 2026: 02:30 happens twice.
    call = services.create_call(admin, programme.id, call_input(
        programme, timezone="Europe/Paris", opens_at=datetime(2026, 10, 1, 9, 0),
        closes_at=datetime(2026, 10, 25, 2, 30)))
    assert call.closes_at == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)  # 02:30 CEST, not 02:30 CET
    later = services.create_call(admin, programme.id, call_input(
        programme, timezone="Europe/Paris", opens_at=datetime(2026, 10, 1, 9, 0),
        closes_at=datetime(2026, 10, 25, 2, 30, fold=1)))
    assert later.closes_at == call.closes_at


# --- moving a published call's deadline --------------------------------------------------

def _local(moment, call):
    from cade.core.timeutil import utc_to_local

    return utc_to_local(moment, call.timezone).replace(tzinfo=None, second=0, microsecond=0)


def test_a_published_deadline_cannot_move_into_the_past(db, admin):
    live = CallFactory()
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, live.id, changed_call(live, closes_at=_local(utcnow() - timedelta(hours=1), live)))
    assert "already passed" in errors_of(excinfo)["closes_at"][0]


def test_a_published_deadline_may_come_earlier_while_still_ahead(db, admin):
    live = CallFactory()
    sooner = _local(utcnow() + timedelta(days=2), live)
    assert _local(services.update_call(admin, live.id, changed_call(live, closes_at=sooner)).closes_at, live) == sooner


def test_a_closed_call_can_still_be_corrected_and_a_draft_moved_freely(db, admin):
    closed = CallFactory(closed=True)  # in review: a correction says why (tests/programmes/test_call_in_review.py)
    corrected = services.update_call(admin, closed.id, changed_call(closed, title="Corrected title",
                                                                    reason="A typo in the title."))
    assert corrected.title == "Corrected title"
    draft = CallFactory(draft=True)
    past = _local(utcnow() - timedelta(days=1), draft)
    assert services.update_call(admin, draft.id, changed_call(draft, closes_at=past)).status == "draft"


def test_editing_a_call_through_the_form_keeps_a_deadline_to_the_second(client, login, admin):
    live = CallFactory(timezone="Africa/Nairobi",
                       closes_at=datetime(2030, 3, 31, 20, 59, 59, tzinfo=timezone.utc))  # 23:59:59 Nairobi
    login(admin)
    page = client.get(f"/admin/calls/{live.id}/edit").get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="closes_at"[^>]*>', page).group(0)
    assert 'value="2030-03-31T23:59:59"' in tag and 'step="1"' in tag
    data = {**CALL_FORM, "title": "Renamed", "reference_prefix": live.reference_prefix, "timezone": "Africa/Nairobi",
            "opens_at": "2020-01-01T00:00", "closes_at": "2030-03-31T23:59:59"}
    assert client.post(f"/admin/calls/{live.id}/edit", data=data).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Call, live.id).closes_at == datetime(2030, 3, 31, 20, 59, 59, tzinfo=timezone.utc)


# --- two admins editing one list at once -------------------------------------------------

def _of_call(call_id):
    """The questions on the call's application form (they belong to its questionnaire)."""
    return Question.questionnaire_id == select(Call.questionnaire_id).where(Call.id == call_id).scalar_subquery()


def test_questions_added_at_the_same_moment_get_positions_of_their_own(app, db, admin):
    call = CallFactory(draft=True)
    QuestionFactory(call=call, position=0)
    _db.session.commit()
    call_id, admin_id = call.id, admin.id

    def add(label):
        def action():
            services.add_question(_db.session.get(type(admin), admin_id), call_id,
                                  question_input(kind="short_text", label=label))
        return action

    outcomes = run_side_by_side(app, [add("First"), add("Second")], pause_after="max(")
    assert outcomes == ["done", "done"]
    _db.session.expire_all()
    positions = _db.session.scalars(select(Question.position).where(_of_call(call_id))).all()
    assert sorted(positions) == [0, 1, 2]


def test_moves_at_the_same_moment_keep_positions_distinct(app, db, admin):
    call = CallFactory(draft=True)
    first, second, third = (QuestionFactory(call=call, position=i) for i in range(3))
    _db.session.commit()
    call_id, admin_id = call.id, admin.id

    def move(question_id, direction):
        def action():
            services.move_question(_db.session.get(type(admin), admin_id), question_id, direction)
        return action

    outcomes = run_side_by_side(app, [move(second.id, "up"), move(second.id, "down")], pause_after="from questions")
    assert outcomes == ["done", "done"]
    _db.session.expire_all()
    rows = _db.session.execute(select(Question.id, Question.position).where(_of_call(call_id))
                               .order_by(Question.position)).all()
    # Up then down, or down then up: either way the second question is back between the others.
    assert [tuple(row) for row in rows] == [(first.id, 0), (second.id, 1), (third.id, 2)]


# --- every admin route, from the URL map --------------------------------------------------

PUBLIC_ENDPOINTS = {"programmes.index", "programmes.closed", "programmes.call", "programmes.form_pdf"}


def _admin_routes(app, call):
    ids = {"programme_id": call.programme_id, "call_id": call.id,
           "question_id": call.questions[0].id, "criterion_id": call.criteria[0].id,
           "heading_id": 1, "category_id": 1}  # the budget template's: refused before they are looked up
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("programmes.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(ids[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    return routes


@pytest.fixture()
def call(db):
    call = CallFactory(draft=True)
    QuestionFactory(call=call, position=0)
    RubricCriterionFactory(call=call, position=0)
    return call


def test_every_programmes_route_is_public_by_name_or_under_admin(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("programmes.") and rule.endpoint not in PUBLIC_ENDPOINTS:
            assert rule.rule.startswith("/admin/"), rule.rule


def test_every_admin_route_sends_visitors_to_sign_in_and_hides_from_non_admins(client, login, call):
    routes = _admin_routes(client.application, call)
    assert len(routes) >= 22
    for method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], (method, url)
    for roles in ([], ["reviewer"], ["trainer"]):
        login(UserFactory(roles=roles))
        for method, url in routes:
            assert client.open(url, method=method).status_code == 404, (roles, method, url)
    _db.session.expire_all()
    unchanged = _db.session.get(Call, call.id)
    assert unchanged.status == "draft" and len(unchanged.questions) == 1 and len(unchanged.criteria) == 1
