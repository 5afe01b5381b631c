"""The question engine: what each kind of question does, and questionnaires as a call's application form."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from wtforms import DateField, SelectField, StringField, TextAreaField

from cade.core.errors import ValidationFailed
from cade.core.forms import LocalDecimalField
from cade.core.questionnaires import (
    KINDS,
    SHORT_TEXT_MAX_CHARS,
    Question,
    QuestionKind,
    Questionnaire,
    answer_errors,
    clean_answer,
    kind_of,
)
from cade.core.questionnaires.kinds import UnknownKind, word_count
from cade.programmes import services
from cade.programmes.constants import QuestionKind as ProgrammeQuestionKind
from tests.factories import CallFactory, QuestionFactory
from tests.programmes.test_services import changed_question, question_input


@dataclass
class Stored:
    """An answer as an owner's table keeps it."""

    text: str | None = None
    number: Decimal | None = None
    date_value: date | None = None


@dataclass
class Upload:
    original_name: str


def question(kind, **values):
    values.setdefault("required", True)
    values.setdefault("label", "Q")
    return Question(id=7, kind=kind, **values)


def test_every_kind_has_one_object_and_programmes_names_the_same_kinds():
    assert set(KINDS) == set(QuestionKind)
    assert ProgrammeQuestionKind is QuestionKind
    assert all(kind_of(kind).value == kind for kind in QuestionKind)
    with pytest.raises(UnknownKind):
        kind_of("essay")


@pytest.mark.parametrize("kind,field_class", [
    ("short_text", StringField), ("long_text", TextAreaField), ("number", LocalDecimalField),
    ("choice", SelectField), ("date", DateField)])
def test_each_kind_gives_its_form_field_and_files_have_none(app, kind, field_class):
    with app.test_request_context():
        field = kind_of(kind).form_field(question(kind, choices=["A", "B"], help_text="Help."))
        assert field.field_class is field_class
        assert field.kwargs["description"].startswith("Help. Required to submit.")
        assert kind_of("file").form_field(question("file")) is None


def test_long_text_field_states_its_word_limit(app):
    with app.test_request_context():
        field = kind_of("long_text").form_field(question("long_text", word_limit=50, required=False))
        assert field.kwargs["description"] == "At most 50 words."


def test_a_blank_answer_clears_whatever_the_kind():
    for kind in QuestionKind:
        assert clean_answer(question(kind), None) == (None, [])
        assert clean_answer(question(kind), "   ") == (None, [])


def test_text_is_stripped_with_line_ends_made_plain_and_short_text_is_capped(app):
    with app.test_request_context():
        assert clean_answer(question("long_text"), "  a\r\nb  ") == ({"text": "a\nb"}, [])
        values, errors = clean_answer(question("short_text"), "x" * (SHORT_TEXT_MAX_CHARS + 1))
        assert errors == [f"Use at most {SHORT_TEXT_MAX_CHARS} characters."]
        # A long draft is kept: the word limit is for submission.
        assert clean_answer(question("long_text", word_limit=2), "one two three")[1] == []


def test_a_choice_must_be_one_of_the_options(app):
    with app.test_request_context():
        q = question("choice", choices=["Rural", "Urban"])
        assert clean_answer(q, "Rural") == ({"text": "Rural"}, [])
        assert clean_answer(q, "Mars")[1] == ["Choose one of the options."]


@pytest.mark.parametrize("value,error", [
    (Decimal("12.5"), None), (3, None), ("12", "Enter a number."), (True, "Enter a number."),
    (Decimal("NaN"), "Enter a number."), (Decimal(10) ** 14, "This number is too large."),
    (Decimal("1.23456"), "Use at most 4 decimal places.")])
def test_numbers_are_refused_rather_than_rounded(app, value, error):
    with app.test_request_context():
        values, errors = clean_answer(question("number"), value)
        assert errors == ([] if error is None else [error])
        if error is None:
            assert values == {"number": Decimal(value)}


def test_dates_must_be_dates_and_files_take_no_value(app):
    with app.test_request_context():
        assert clean_answer(question("date"), date(2027, 1, 31)) == ({"date_value": date(2027, 1, 31)}, [])
        assert clean_answer(question("date"), "31/01/2027")[1] == ["Enter a date as YYYY-MM-DD."]
        assert clean_answer(question("file"), "report.pdf") == (None, [])


def test_an_answer_no_kind_accepts_is_refused(app):
    with app.test_request_context():
        assert clean_answer(question("short_text"), ["a", "list"]) == (None, ["Enter text."])
        assert clean_answer(question("essay"), "Hello") == (None, ["This question cannot be answered here."])
        assert answer_errors(question("essay"), Stored(text="Hello")) == ["This question cannot be answered here."]


def test_emptiness_is_read_from_the_kinds_own_column_or_its_files():
    assert kind_of("short_text").is_empty(None)
    assert kind_of("short_text").is_empty(Stored(text=""))
    assert not kind_of("short_text").is_empty(Stored(text="x"))
    assert kind_of("number").is_empty(Stored(text="x"))
    assert not kind_of("number").is_empty(Stored(number=Decimal(0)))
    assert not kind_of("date").is_empty(Stored(date_value=date(2027, 1, 1)))
    assert kind_of("file").is_empty(Stored(text="x"))
    assert not kind_of("file").is_empty(None, [Upload("a.pdf")])


def test_completeness_asks_required_answers_files_word_limits_lengths_and_options(app):
    with app.test_request_context():
        assert answer_errors(question("long_text"), None) == ["Answer this question."]
        assert answer_errors(question("long_text", required=False), None) == []
        assert answer_errors(question("file"), None) == ["Attach a file for this question."]
        assert answer_errors(question("file"), None, [Upload("a.pdf")]) == []
        assert answer_errors(question("long_text", word_limit=2), Stored(text="one two three")) == [
            "Use at most 2 words (you have 3)."]
        assert answer_errors(question("long_text", word_limit=3), Stored(text="one two three")) == []
        assert answer_errors(question("short_text"), Stored(text="x" * 301)) == ["Use at most 300 characters."]
        assert answer_errors(question("choice", choices=["A", "B"]), Stored(text="C")) == [
            "Choose one of the options."]
        assert answer_errors(question("number", required=False), Stored(number=Decimal(5))) == []


def test_word_count_splits_on_any_white_space():
    assert word_count(None) == 0 and word_count(" one\ttwo\nthree ") == 3


def test_each_kind_shows_a_stored_answer_in_its_form_field_and_reading_view():
    assert kind_of("number").form_value(Stored(number=Decimal("12.5000"))) == Decimal("12.5")
    assert str(kind_of("number").form_value(Stored(number=Decimal("3.0000")))) == "3"
    assert kind_of("date").form_value(Stored(date_value=date(2027, 1, 2))) == date(2027, 1, 2)
    assert kind_of("long_text").form_value(Stored(text="Hi")) == "Hi"
    assert kind_of("file").form_value(Stored()) is None
    assert {kind: kind_of(kind).reading for kind in QuestionKind} == {
        "short_text": "plain", "long_text": "prose", "number": "number", "choice": "plain", "date": "date",
        "file": "files"}
    assert [kind for kind in QuestionKind if kind_of(kind).is_text] == ["short_text", "long_text"]


def test_export_values_are_plain_cells():
    assert kind_of("short_text").export_value(Stored(text="Nairobi")) == "Nairobi"
    assert kind_of("choice").export_value(Stored(text="Rural")) == "Rural"
    assert kind_of("number").export_value(Stored(number=Decimal("4.5"))) == Decimal("4.5")
    assert kind_of("date").export_value(Stored(date_value=date(2027, 3, 1))) == "2027-03-01"
    assert kind_of("file").export_value(None, [Upload("a.pdf"), Upload("b.pdf")]) == "a.pdf; b.pdf"
    for kind in QuestionKind:
        assert kind_of(kind).export_value(None) is None


# --- questionnaires as a call's application form ---------------------------------------------


def test_a_call_is_born_with_a_questionnaire_of_its_own(db):
    first, second = CallFactory(), CallFactory()
    db.session.flush()
    assert isinstance(first.questionnaire, Questionnaire)
    assert first.questionnaire.purpose == "call_application"
    assert first.questionnaire_id != second.questionnaire_id


def test_a_calls_questions_are_its_questionnaires_in_order(db, admin):
    call = CallFactory(draft=True)
    second = services.add_question(admin, call.id, question_input(kind="number", label="How many?"))
    services.move_question(admin, second.id, "up")
    services.add_question(admin, call.id, question_input(kind="short_text", label="Where?"))
    services.move_question(admin, second.id, "up")
    assert [q.label for q in call.questions] == ["How many?", "Where?"]
    assert all(q.questionnaire_id == call.questionnaire_id for q in call.questions)
    renamed = services.update_question(admin, second.id, changed_question(second, label="How many people?"))
    assert renamed.label == "How many people?"


def test_a_questions_word_limit_and_choices_are_kept_only_where_its_kind_takes_them(db, admin):
    call = CallFactory(draft=True)
    text = services.add_question(admin, call.id, question_input(kind="short_text", label="A", word_limit=5,
                                                                choices="x\ny"))
    assert text.word_limit is None and text.choices == []
    essay = services.add_question(admin, call.id, question_input(kind="long_text", label="B", word_limit=5))
    assert essay.word_limit == 5
    with pytest.raises(ValidationFailed) as refused:
        services.add_question(admin, call.id, question_input(kind="essay", label="C"))
    assert "kind" in refused.value.errors


def test_an_answer_the_kind_refuses_is_refused_by_the_draft_with_the_field_named(db):
    from cade.applications.services import DraftInput, save_draft
    from tests.factories import ApplicationFactory, MembershipFactory

    call = CallFactory()
    number = QuestionFactory(call=call, kind="number", word_limit=None)
    text = QuestionFactory(call=call, kind="short_text", word_limit=None)
    membership = MembershipFactory()
    application = ApplicationFactory(call=call, organisation=membership.organisation)
    with pytest.raises(ValidationFailed) as refused:
        save_draft(membership.user, application.id, DraftInput.from_input({"answers": {number.id: "many", text.id: ["x"]}}))
    assert refused.value.errors == {f"q_{number.id}": ["Enter a number."], f"q_{text.id}": ["Enter text."]}
