"""Programme, call, question and rubric services: the rules and what they leave in the database."""

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.programmes import services
from cade.programmes.constants import CallStatus
from cade.programmes.services import CallInput, CriterionInput, ProgrammeInput, QuestionInput
from cade.programmes.models import Call, Question, RubricCriterion
from cade.reviews.models import Review
from tests.factories import CallFactory, ProgrammeFactory, QuestionFactory, ReviewFactory, RubricCriterionFactory


def programme_data(**overrides):
    data = dict(name="Community Network Grants", kind="community_network", description="Connect the unconnected.",
                funder_name="CADE Foundation", funder_identifier="XM-DAC-0000", currency="usd")
    data.update(overrides)
    return data


_prefixes = itertools.count(1)


def call_data(**overrides):
    data = dict(title="Community networks 2026", reference_prefix=f"cade-{next(_prefixes)}", description="Grants.",
                timezone="Africa/Nairobi", opens_at=datetime(2030, 1, 10, 9, 0), closes_at=datetime(2030, 3, 31, 17, 0),
                budget_envelope=Decimal("100000"), min_award=Decimal("5000"), max_award=Decimal("40000"),
                reviews_required=2, blind_review=True)
    data.update(overrides)
    return data


def programme_input(**overrides):
    return ProgrammeInput.from_input(programme_data(**overrides))


def call_input(programme, **overrides):
    """A new call's command, its amounts read in the programme's currency (as the call form gives it)."""
    return CallInput.from_input(call_data(**overrides), currency=programme.currency)


def question_input(**data):
    return QuestionInput.from_input(data)


def criterion_input(**data):
    return CriterionInput.from_input(data)


def _stored(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


# A change restates the whole object, as its edit form does: `changes` over the stored values.

def changed_programme(programme, **changes):
    return ProgrammeInput.from_input({**_stored(programme, services.PROGRAMME_FIELDS), **changes})


def changed_call(call, **changes):
    return CallInput.from_input({**services.call_as_input(call), **changes}, currency=call.currency)


def changed_question(question, **changes):
    return QuestionInput.from_input({**_stored(question, services.QUESTION_FIELDS), **changes})


def changed_criterion(criterion, **changes):
    return CriterionInput.from_input({**_stored(criterion, services.CRITERION_FIELDS), **changes})


def errors_of(excinfo) -> dict:
    return {field: [str(m) for m in messages] for field, messages in excinfo.value.errors.items()}


@pytest.fixture()
def programme(db):
    return ProgrammeFactory(currency="USD")


@pytest.fixture()
def lock_calls():
    """Pretend another domain reports applications for every call."""
    services.call_lock_checks.append(lambda call: True)
    yield
    services.call_lock_checks.pop()


# ---------------------------------------------------------------- programmes


def test_create_programme_stores_clean_values_and_audits(db, admin):
    programme = services.create_programme(admin, programme_input())
    db.session.commit()
    assert programme.currency == "USD"
    assert programme.name == "Community Network Grants"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "programme.created"))
    assert event.actor_id == admin.id and event.object_id == programme.id
    assert event.after["currency"] == "USD"


@pytest.mark.parametrize("field,value", [("currency", "XYZ"), ("currency", ""), ("kind", "lottery"),
                                         ("name", "  "), ("funder_name", "")])
def test_create_programme_refuses_bad_values(db, admin, field, value):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_programme(admin, programme_input(**{field: value}))
    assert field in excinfo.value.errors


def test_only_admins_manage_programmes(db, reviewer, applicant):
    for user in (reviewer, applicant, None):
        with pytest.raises(PermissionDenied):
            services.create_programme(user, programme_input())


def test_programme_currency_changes_until_it_has_a_call(db, admin, programme):
    services.update_programme(admin, programme.id, changed_programme(programme, currency="EUR"))
    assert programme.currency == "EUR"
    CallFactory(programme=programme)
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_programme(admin, programme.id, changed_programme(programme, currency="GBP"))
    assert "currency" in excinfo.value.errors
    # Other fields still change.
    services.update_programme(admin, programme.id, changed_programme(programme, name="Renamed"))
    assert programme.name == "Renamed" and programme.currency == "EUR"


def test_update_programme_unknown_id(db, admin):
    with pytest.raises(NotFound):
        services.update_programme(admin, 999, programme_input(name="x"))


# ---------------------------------------------------------------- calls: dates and time zones


def test_create_call_is_a_draft_with_times_read_in_its_zone(db, admin, programme):
    call = services.create_call(admin, programme.id, call_input(programme, reference_prefix="cade-2026"))
    db.session.commit()
    assert call.status == CallStatus.DRAFT
    assert call.reference_prefix == "CADE-2026"
    # Nairobi is UTC+3 all year.
    assert call.opens_at == datetime(2030, 1, 10, 6, 0, tzinfo=timezone.utc)
    assert call.closes_at == datetime(2030, 3, 31, 14, 0, tzinfo=timezone.utc)
    assert (call.budget_envelope_minor, call.min_award_minor, call.max_award_minor) == (10_000_000, 500_000, 4_000_000)
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.object_type == "Call")) == "call.created"


def test_a_reference_prefix_belongs_to_one_call(db, admin, programme):
    first = services.create_call(admin, programme.id, call_input(programme, reference_prefix="cade-2026"))
    db.session.commit()
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, reference_prefix="Cade-2026"))
    assert "reference_prefix" in errors_of(excinfo)
    second = services.create_call(admin, programme.id, call_input(programme, reference_prefix="CADE-2027"))
    with pytest.raises(ValidationFailed):
        services.update_call(admin, second.id, changed_call(second, reference_prefix="CADE-2026"))
    assert services.update_call(admin, first.id, changed_call(first, title="Renamed")).reference_prefix == "CADE-2026"


def test_paris_deadline_follows_daylight_saving(db, admin, programme):
    winter = services.create_call(admin, programme.id, call_input(
        programme, timezone="Europe/Paris", opens_at=datetime(2030, 1, 1, 9, 0),
        closes_at=datetime(2030, 1, 15, 17, 0)))
    summer = services.create_call(admin, programme.id, call_input(
        programme, timezone="Europe/Paris", opens_at=datetime(2030, 1, 1, 9, 0),
        closes_at=datetime(2030, 7, 15, 17, 0)))
    assert winter.closes_at == datetime(2030, 1, 15, 16, 0, tzinfo=timezone.utc)  # CET, UTC+1
    assert summer.closes_at == datetime(2030, 7, 15, 15, 0, tzinfo=timezone.utc)  # CEST, UTC+2


def test_sao_paulo_uses_its_historical_daylight_saving(db, admin, programme):
    # São Paulo observed summer time until 2019 (UTC-2 in January 2018), UTC-3 since.
    call = services.create_call(admin, programme.id, call_input(
        programme, timezone="America/Sao_Paulo", opens_at=datetime(2018, 1, 1, 9, 0),
        closes_at=datetime(2018, 1, 15, 23, 59)))
    assert call.closes_at == datetime(2018, 1, 16, 1, 59, tzinfo=timezone.utc)
    later = services.create_call(admin, programme.id, call_input(
        programme, timezone="America/Sao_Paulo", opens_at=datetime(2030, 1, 1, 9, 0),
        closes_at=datetime(2030, 1, 15, 23, 59)))
    assert later.closes_at == datetime(2030, 1, 16, 2, 59, tzinfo=timezone.utc)


def test_a_wall_clock_time_skipped_by_daylight_saving_is_refused(db, admin, programme):
    # On 31 March 2030 Paris jumps from 02:00 to 03:00: 02:30 never happens.
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, timezone="Europe/Paris",
                                                              closes_at=datetime(2030, 3, 31, 2, 30)))
    assert "does not exist" in errors_of(excinfo)["closes_at"][0]


def test_aware_datetimes_are_taken_as_they_are(db, admin, programme):
    opens = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
    call = services.create_call(admin, programme.id,
                                call_input(programme, opens_at=opens, closes_at=opens + timedelta(days=30)))
    assert call.opens_at == opens


def test_closing_before_opening_is_refused(db, admin, programme):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, closes_at=datetime(2030, 1, 9, 9, 0)))
    assert errors_of(excinfo)["closes_at"] == ["The call must close after it opens."]
    with pytest.raises(ValidationFailed):
        services.create_call(admin, programme.id, call_input(programme, closes_at=datetime(2030, 1, 10, 9, 0)))
    assert db.session.scalar(select(Call.id)) is None


def test_unknown_time_zone_is_refused(db, admin, programme):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, timezone="Mars/Olympus"))
    assert "timezone" in excinfo.value.errors


# ---------------------------------------------------------------- calls: money, prefix, eligibility


def test_minimum_above_maximum_is_refused(db, admin, programme):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id,
                             call_input(programme, min_award=Decimal("50000"), max_award=Decimal("40000")))
    assert "min_award" in excinfo.value.errors


def test_maximum_above_envelope_is_refused(db, admin, programme):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, max_award=Decimal("100000.01")))
    assert "max_award" in excinfo.value.errors


@pytest.mark.parametrize("value", ["0", "-5", "12.345", "lots", None])
def test_amounts_must_be_positive_and_exact_in_the_currency(db, admin, programme, value):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, min_award=value))
    assert "min_award" in excinfo.value.errors


def test_amounts_follow_the_currency_decimal_places(db, admin):
    yen = ProgrammeFactory(currency="JPY")
    call = services.create_call(admin, yen.id, call_input(yen, budget_envelope="1000000", min_award="1000",
                                                           max_award="50000", max_annual_budget="2000000"))
    assert call.min_award_minor == 1000 and call.max_annual_budget_minor == 2_000_000
    with pytest.raises(ValidationFailed):
        services.create_call(admin, yen.id, call_input(yen, budget_envelope="1000000", min_award="1000.5",
                                                       max_award="50000"))


@pytest.mark.parametrize("prefix", ["CADE 2026", "CADE_2026", "-CADE", "CADE--2026", "CADÉ", "", "X" * 41])
def test_reference_prefix_letters_digits_single_dashes(db, admin, programme, prefix):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, reference_prefix=prefix))
    assert "reference_prefix" in excinfo.value.errors


@pytest.mark.parametrize("reviews", [0, 11, "two"])
def test_reviews_required_between_one_and_ten(db, admin, programme, reviews):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, reviews_required=reviews))
    assert "reviews_required" in excinfo.value.errors


def test_eligibility_rules_are_stored_clean(db, admin, programme):
    call = services.create_call(admin, programme.id, call_input(
        programme, eligible_countries=["ke", "UG", "KE"], eligible_country_lists=["ldc", "SIDS"],
        eligible_regions=["002"],
        eligible_organisation_types=["ngo", "community_network"], eligible_stakeholder_groups=["civil_society"],
        max_annual_budget="250000.50"))
    assert call.eligible_countries == ["KE", "UG"]
    assert call.eligible_country_lists == ["LDC", "SIDS"]
    assert call.eligible_regions == ["002"]
    assert call.eligible_organisation_types == ["ngo", "community_network"]
    assert call.max_annual_budget_minor == 25_000_050


@pytest.mark.parametrize("field,value", [("eligible_countries", ["XX"]), ("eligible_country_lists", ["G7"]),
                                         ("eligible_regions", ["999"]), ("eligible_organisation_types", ["church"]),
                                         ("eligible_stakeholder_groups", ["army"]), ("max_annual_budget", "0")])
def test_unknown_eligibility_values_are_refused(db, admin, programme, field, value):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_call(admin, programme.id, call_input(programme, **{field: value}))
    assert field in excinfo.value.errors


def test_a_registered_rule_is_read_by_its_own_cleaner_and_named_by_its_own_field(app, db):
    from cade.core.commands import Codes
    from cade.core.rules import Rule, registered_rules

    class ColourRule(Rule):
        key = field_name = "colours"
        columns = ("colours",)
        cleaner = Codes(["blue", "red"])

    registry = registered_rules()
    registry.register(ColourRule())
    try:
        command = CallInput.from_input({**call_data(), "colours": ["red", "blue"]}, currency="USD")
        assert command.eligibility["colours"] == ["blue", "red"]
        with pytest.raises(ValidationFailed) as excinfo:
            CallInput.from_input({**call_data(), "colours": ["green"], "eligible_countries": ["XX"]}, currency="USD")
        assert errors_of(excinfo) == {"colours": ["Choose only from the listed options."],
                                      "eligible_countries": ["Choose only from the listed options."]}
    finally:
        del registry._rules[ColourRule.key]  # the session's app is shared by every test


def test_the_status_is_not_input(db, admin, programme):
    # A command names what may be typed; the status moves only by publishing and unpublishing.
    with pytest.raises(TypeError):
        CallInput(currency="USD", status="published")
    call = services.create_call(admin, programme.id, call_input(programme, status="published"))
    assert call.status == CallStatus.DRAFT


def test_amounts_read_in_another_currency_are_a_programming_error(db, admin, programme):
    euros = CallInput.from_input(call_data(), currency="EUR")
    with pytest.raises(ValueError):
        services.create_call(admin, programme.id, euros)
    call = services.create_call(admin, programme.id, call_input(programme))
    with pytest.raises(ValueError):
        services.update_call(admin, call.id, CallInput.from_input(services.call_as_input(call), currency="EUR"))


def test_update_call_changes_only_what_is_given_and_audits_before_and_after(db, admin, programme):
    call = services.create_call(admin, programme.id, call_input(programme))
    services.update_call(admin, call.id, changed_call(call, title="New title", closes_at=datetime(2030, 4, 30, 17, 0)))
    db.session.commit()
    assert call.title == "New title"
    assert call.closes_at == datetime(2030, 4, 30, 14, 0, tzinfo=timezone.utc)
    assert call.min_award_minor == 500_000
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "call.updated"))
    assert event.before["title"] == "Community networks 2026" and event.after["title"] == "New title"


def test_changing_the_zone_rereads_the_typed_times(db, admin, programme):
    call = services.create_call(admin, programme.id, call_input(programme))
    services.update_call(admin, call.id, changed_call(call, timezone="America/Sao_Paulo",
                                                      opens_at=datetime(2030, 1, 10, 9, 0),
                                                      closes_at=datetime(2030, 3, 31, 17, 0)))
    assert call.closes_at == datetime(2030, 3, 31, 20, 0, tzinfo=timezone.utc)


def test_update_call_keeps_the_amount_rules(db, admin, programme):
    call = services.create_call(admin, programme.id, call_input(programme))
    with pytest.raises(ValidationFailed):
        services.update_call(admin, call.id, changed_call(call, max_award=Decimal("4000")))
    assert call.max_award_minor == 4_000_000


def test_reference_prefix_is_fixed_once_the_call_is_locked(db, admin, programme, lock_calls):
    call = CallFactory(programme=programme, reference_prefix="CADE-2026")
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, reference_prefix="CADE-2027"))
    assert "reference_prefix" in excinfo.value.errors
    services.update_call(admin, call.id, changed_call(call, title="Still editable"))
    assert call.title == "Still editable" and call.reference_prefix == "CADE-2026"


def test_reference_prefix_changes_while_unlocked(db, admin, programme):
    call = CallFactory(programme=programme, reference_prefix="CADE-2026")
    services.update_call(admin, call.id, changed_call(call, reference_prefix="CADE-2027"))
    assert call.reference_prefix == "CADE-2027"


# ---------------------------------------------------------------- publishing


def ready_call(**kwargs):
    call = CallFactory(draft=True, **kwargs)
    QuestionFactory(call=call)
    RubricCriterionFactory(call=call, weight=2)
    return call


def test_publish_a_ready_call(db, admin):
    call = ready_call()
    services.publish_call(admin, call.id)
    db.session.commit()
    assert call.status == CallStatus.PUBLISHED
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.verb == "call.published"))


def test_publish_needs_questions_criteria_and_a_future_deadline(db, admin):
    call = CallFactory(draft=True, closes_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(ValidationFailed) as excinfo:
        services.publish_call(admin, call.id)
    problems = " ".join(errors_of(excinfo)["publish"])
    assert "question" in problems and "rubric criterion" in problems and "closing date" in problems
    assert call.status == CallStatus.DRAFT


def test_publish_refuses_a_criterion_without_weight(db, admin):
    call = CallFactory(draft=True)
    QuestionFactory(call=call)
    RubricCriterionFactory(call=call, weight=0)
    with pytest.raises(ValidationFailed) as excinfo:
        services.publish_call(admin, call.id)
    assert "weight" in " ".join(errors_of(excinfo)["publish"])


def test_publish_twice_is_an_invalid_transition(db, admin):
    call = ready_call()
    services.publish_call(admin, call.id)
    with pytest.raises(InvalidTransition):
        services.publish_call(admin, call.id)


def test_unpublish_returns_to_draft(db, admin):
    call = CallFactory()
    services.unpublish_call(admin, call.id)
    assert call.status == CallStatus.DRAFT
    with pytest.raises(InvalidTransition):
        services.unpublish_call(admin, call.id)


def test_a_locked_call_stays_published(db, admin, lock_calls):
    call = CallFactory()
    with pytest.raises(InvalidTransition):
        services.unpublish_call(admin, call.id)
    assert call.status == CallStatus.PUBLISHED


def test_only_admins_publish(db, reviewer):
    call = ready_call()
    with pytest.raises(PermissionDenied):
        services.publish_call(reviewer, call.id)


# ---------------------------------------------------------------- questions


def positions(call_id, model=Question):
    rows = db_rows(model, call_id)
    return [(row.label, row.position) for row in rows]


def db_rows(model, call_id):
    from cade.extensions import db

    # A call's questions belong to its questionnaire; its criteria to the call itself.
    owner = (model.questionnaire_id == select(Call.questionnaire_id).where(Call.id == call_id).scalar_subquery()
             if model is Question else model.call_id == call_id)
    return list(db.session.scalars(select(model).where(owner).order_by(model.position)))


def test_add_questions_in_order(db, admin):
    call = CallFactory(draft=True)
    services.add_question(admin, call.id, question_input(kind="short_text", label="Name of the project"))
    services.add_question(admin, call.id, question_input(kind="long_text", label="What will you do?", word_limit=500,
                                                         help_text="Be concrete.", required=False))
    db.session.commit()
    assert positions(call.id) == [("Name of the project", 0), ("What will you do?", 1)]
    second = db_rows(Question, call.id)[1]
    assert (second.word_limit, second.required, second.help_text) == (500, False, "Be concrete.")
    assert [q.label for q in call.questions] == ["Name of the project", "What will you do?"]


def test_choice_question_needs_two_different_choices(db, admin):
    call = CallFactory(draft=True)
    for choices in ("Only one", "Same\nsame \n Same", ["", "  "]):
        with pytest.raises(ValidationFailed) as excinfo:
            services.add_question(admin, call.id, question_input(kind="choice", label="Pick", choices=choices))
        assert "choices" in excinfo.value.errors
    question = services.add_question(admin, call.id,
                                     question_input(kind="choice", label="Pick", choices="Urban\n\n Rural \nBoth\n"))
    assert question.choices == ["Urban", "Rural", "Both"]


def test_word_limit_and_choices_only_stay_on_their_kinds(db, admin):
    call = CallFactory(draft=True)
    question = services.add_question(admin, call.id,
                                     question_input(kind="number", label="Staff", word_limit=50, choices="a\nb"))
    assert question.word_limit is None and question.choices == []
    with pytest.raises(ValidationFailed) as excinfo:
        services.add_question(admin, call.id, question_input(kind="long_text", label="Story", word_limit=0))
    assert "word_limit" in excinfo.value.errors


@pytest.mark.parametrize("data", [dict(kind="essay", label="x"), dict(kind="short_text", label=""),
                                  dict(kind="short_text", label="x" * 301)])
def test_question_needs_a_kind_and_a_label(db, admin, data):
    call = CallFactory(draft=True)
    with pytest.raises(ValidationFailed):
        services.add_question(admin, call.id, question_input(**data))


def test_update_question(db, admin):
    call = CallFactory(draft=True)
    question = services.add_question(admin, call.id, question_input(kind="short_text", label="Name"))
    services.update_question(admin, question.id,
                             changed_question(question, kind="choice", label="Where?", choices=["Town", "Village"]))
    assert (question.kind, question.label, question.choices) == ("choice", "Where?", ["Town", "Village"])
    with pytest.raises(ValidationFailed):
        services.update_question(admin, question.id, changed_question(question, choices=["Town"]))


def test_question_kind_and_existence_are_fixed_once_locked(db, admin, lock_calls):
    question = QuestionFactory(kind="long_text")
    with pytest.raises(ValidationFailed):
        services.update_question(admin, question.id, changed_question(question, kind="number"))
    with pytest.raises(InvalidTransition):
        services.delete_question(admin, question.id)
    services.update_question(admin, question.id, changed_question(question, label="Clearer wording"))
    assert question.label == "Clearer wording"


def test_moving_and_deleting_questions_keeps_order_gapless(db, admin):
    call = CallFactory(draft=True)
    ids = [services.add_question(admin, call.id, question_input(kind="short_text", label=label)).id for label in "ABCD"]
    services.move_question(admin, ids[3], "up")      # A B D C
    services.move_question(admin, ids[0], "down")    # B A D C
    services.move_question(admin, ids[1], "up")      # B first already: stays
    services.move_question(admin, ids[2], "down")    # C last already: stays
    db.session.commit()
    assert positions(call.id) == [("B", 0), ("A", 1), ("D", 2), ("C", 3)]
    services.delete_question(admin, ids[0])
    db.session.commit()
    assert positions(call.id) == [("B", 0), ("D", 1), ("C", 2)]
    assert [q.label for q in call.questions] == ["B", "D", "C"]
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.verb == "question.deleted"))


def test_moving_repairs_gaps_left_by_older_data(db, admin):
    call = CallFactory(draft=True)
    first = QuestionFactory(call=call, position=10, label="A")
    QuestionFactory(call=call, position=20, label="B")
    QuestionFactory(call=call, position=35, label="C")
    services.move_question(admin, first.id, "down")
    assert positions(call.id) == [("B", 0), ("A", 1), ("C", 2)]


def test_move_needs_a_direction(db, admin):
    question = QuestionFactory()
    with pytest.raises(ValidationFailed):
        services.move_question(admin, question.id, "sideways")


def test_editing_questions_needs_admin(db, reviewer):
    call = CallFactory(draft=True)
    question = QuestionFactory(call=call)
    with pytest.raises(PermissionDenied):
        services.delete_question(reviewer, question.id)
    with pytest.raises(PermissionDenied):
        services.add_question(reviewer, call.id, question_input(kind="short_text", label="x"))


# ---------------------------------------------------------------- rubric criteria


def test_add_update_move_delete_criteria(db, admin):
    call = CallFactory(draft=True)
    relevance = services.add_criterion(admin, call.id, criterion_input(label="Relevance", guidance="Does it fit?",
                                                                       weight=3, max_score=5))
    services.add_criterion(admin, call.id, criterion_input(label="Feasibility", weight=2, max_score=10))
    budget = services.add_criterion(admin, call.id, criterion_input(label="Budget"))
    assert (budget.weight, budget.max_score) == (1, 5)
    services.move_criterion(admin, budget.id, "up")
    services.update_criterion(admin, relevance.id, changed_criterion(relevance, weight=4))
    db.session.commit()
    assert positions(call.id, RubricCriterion) == [("Relevance", 0), ("Budget", 1), ("Feasibility", 2)]
    assert relevance.weight == 4
    services.delete_criterion(admin, relevance.id)
    db.session.commit()
    assert positions(call.id, RubricCriterion) == [("Budget", 0), ("Feasibility", 1)]


@pytest.mark.parametrize("data", [dict(label="x", weight=0), dict(label="x", weight=101), dict(label="x", max_score=0),
                                  dict(label="x", max_score=101), dict(label=""), dict(label="x", weight="heavy")])
def test_criterion_ranges(db, admin, data):
    call = CallFactory(draft=True)
    with pytest.raises(ValidationFailed):
        services.add_criterion(admin, call.id, criterion_input(**data))


def test_criterion_labels_are_unique_per_call(db, admin):
    call = CallFactory(draft=True)
    services.add_criterion(admin, call.id, criterion_input(label="Relevance"))
    other = services.add_criterion(admin, call.id, criterion_input(label="Impact"))
    with pytest.raises(ValidationFailed) as excinfo:
        services.add_criterion(admin, call.id, criterion_input(label="relevance"))
    assert "label" in excinfo.value.errors
    with pytest.raises(ValidationFailed):
        services.update_criterion(admin, other.id, changed_criterion(other, label="Relevance"))
    services.update_criterion(admin, other.id, changed_criterion(other, label="Impact", weight=5))  # its own label
    services.add_criterion(admin, CallFactory(draft=True).id, criterion_input(label="Relevance"))  # another call


# ---------------------------------------------------------------- the rubric once reviews exist


@pytest.fixture(params=["draft", "submitted"])
def reviewed(request, db):
    """A call whose first criterion has a score of 5 in a review (a draft one, then a submitted one)."""
    call = CallFactory()
    relevance = RubricCriterionFactory(call=call, label="Relevance", weight=2, max_score=5, position=0)
    RubricCriterionFactory(call=call, label="Budget", weight=1, max_score=5, position=1)
    review = ReviewFactory(assignment__application__call=call, submitted=request.param == "submitted",
                           scores={relevance: 5})
    return call, relevance, review


def stored_scores(review):
    from cade.extensions import db

    db.session.expire_all()
    return {(score.criterion.label, score.score) for score in db.session.get(Review, review.id).scores}


def test_once_reviews_exist_criteria_can_be_neither_added_nor_deleted(db, admin, reviewed):
    call, relevance, review = reviewed
    assert services.is_rubric_locked(call)
    with pytest.raises(InvalidTransition, match="cannot be deleted once reviews exist"):
        services.delete_criterion(admin, relevance.id)
    db.session.rollback()
    with pytest.raises(InvalidTransition, match="cannot be added once reviews exist"):
        services.add_criterion(admin, call.id, criterion_input(label="Impact"))
    db.session.rollback()
    assert positions(call.id, RubricCriterion) == [("Relevance", 0), ("Budget", 1)]
    assert stored_scores(review) == {("Relevance", 5)}


@pytest.mark.parametrize("field, value", [("max_score", 2), ("max_score", 10), ("weight", 3)])
def test_once_reviews_exist_weights_and_scales_stay(db, admin, reviewed, field, value):
    call, relevance, review = reviewed
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_criterion(admin, relevance.id,
                                  changed_criterion(relevance, label="Relevance to the community", **{field: value}))
    assert errors_of(excinfo) == {field: ["This cannot change once reviews exist."]}
    db.session.rollback()
    kept = db.session.get(RubricCriterion, relevance.id)
    assert (kept.label, kept.weight, kept.max_score) == ("Relevance", 2, 5)
    assert stored_scores(review) == {("Relevance", 5)}


def test_once_reviews_exist_labels_and_guidance_stay_editable(db, admin, reviewed):
    call, relevance, review = reviewed
    # Unchanged weight and maximum score, as the edit form sends them.
    services.update_criterion(admin, relevance.id, changed_criterion(relevance, label="Relevance to the community",
                                                                     guidance="Who gains?", weight=2, max_score=5))
    db.session.commit()
    kept = db.session.get(RubricCriterion, relevance.id)
    assert (kept.label, kept.guidance, kept.weight, kept.max_score) == ("Relevance to the community", "Who gains?", 2, 5)
    assert stored_scores(review) == {("Relevance to the community", 5)}


def test_reviews_of_another_call_leave_this_rubric_open(db, admin, reviewed):
    other = CallFactory(draft=True)
    criterion = RubricCriterionFactory(call=other, label="Relevance", max_score=5)
    assert not services.is_rubric_locked(other)
    services.update_criterion(admin, criterion.id, changed_criterion(criterion, max_score=2))
    services.add_criterion(admin, other.id, criterion_input(label="Impact"))
    services.delete_criterion(admin, criterion.id)
    assert positions(other.id, RubricCriterion) == [("Impact", 0)]


# ---------------------------------------------------------------- reads


def test_open_upcoming_and_recently_closed_calls(db):
    now = utcnow()
    open_late = CallFactory(title="open late", closes_at=now + timedelta(days=30))
    open_soon = CallFactory(title="open soon", closes_at=now + timedelta(days=2))
    CallFactory(title="draft", draft=True)
    upcoming = CallFactory(title="upcoming", opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=40))
    closed = CallFactory(title="closed", closed=True)
    CallFactory(title="long closed", opens_at=now - timedelta(days=400), closes_at=now - timedelta(days=300))
    assert [c.title for c in services.open_calls(now)] == [open_soon.title, open_late.title]
    assert [c.title for c in services.upcoming_calls(now)] == [upcoming.title]
    assert [c.title for c in services.recently_closed_calls(now)] == [closed.title]


def test_the_dashboard_shows_the_latest_calls_of_each_programme_and_counts_the_rest(db):
    now = utcnow()
    busy = ProgrammeFactory(name="Busy programme")
    quiet = ProgrammeFactory(name="Quiet programme")
    empty = ProgrammeFactory(name="Empty programme")
    calls = [CallFactory(programme=busy, title=f"Round {n}", opens_at=now - timedelta(days=100 - n),
                         closes_at=now + timedelta(days=n + 1)) for n in range(7)]
    only = CallFactory(programme=quiet)
    ids = [busy.id, quiet.id, empty.id]

    latest = services.latest_calls_by_programme(ids, limit=5)
    assert [c.title for c in latest[busy.id]] == [c.title for c in reversed(calls)][:5]
    assert latest[quiet.id] == [only] and latest[empty.id] == []
    assert services.call_counts_by_programme(ids) == {busy.id: 7, quiet.id: 1, empty.id: 0}
    assert [p.name for p in services.programmes_page(1).items] == ["Busy programme", "Empty programme",
                                                                   "Quiet programme"]
    assert services.programme_calls_page(busy.id, page=2, per_page=5).items == [calls[1], calls[0]]
