"""A call's text in every language, the services: its own language, its texts in the others, and what it is
available in (cade/programmes/call_languages.py)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.core.questionnaires import Question
from cade.core.translations import localized
from cade.extensions import db as _db
from cade.programmes.call_languages import (
    CallLanguageInput,
    TranslationInput,
    call_languages,
    call_texts,
    set_call_language,
    translate_call,
    translation_progress,
)
from cade.programmes.models import BudgetCategory, BudgetHeading, Call, RubricCriterion
from tests.factories import CallFactory, QuestionFactory, RubricCriterionFactory, UserFactory


@pytest.fixture()
def call(db):
    call = CallFactory(title="Community networks 2026", description="Grants for community networks.")
    QuestionFactory(call=call, label="Describe your community", help_text="Who, where, how many.", position=0)
    QuestionFactory(call=call, label="Your plan", help_text=None, position=1)
    RubricCriterionFactory(call=call, label="Relevance", guidance="Does it fit the call?", position=0)
    heading = BudgetHeading(call=call, label="Direct costs", position=0)
    _db.session.add(heading)
    _db.session.add(BudgetCategory(call_id=call.id, heading=heading, code="staff", label="Staff", position=0))
    _db.session.commit()
    return call


def keys(call) -> dict[str, str]:
    """Each text's key by its original, as the form names them."""
    return {text.original: text.key for text in call_texts(call) if text.original}


def french(call, **by_original) -> dict:
    return {"language": "fr", **{keys(call)[original]: value for original, value in by_original.items()}}


def audits(verb: str) -> list[AuditEvent]:
    return list(_db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)))


def fresh(call) -> Call:
    _db.session.expire_all()
    return _db.session.get(Call, call.id)


# ---------------------------------------------------------------- translating


def test_every_kind_of_text_is_translated_and_each_row_audited(call, admin):
    data = french(call, **{"Community networks 2026": "Réseaux communautaires 2026",
                           "Describe your community": "Décrivez votre communauté",
                           "Relevance": "Pertinence", "Direct costs": "Coûts directs", "Staff": "Personnel"})
    assert translate_call(admin, call.id, TranslationInput.from_input(data)) == 5
    _db.session.commit()
    call = fresh(call)
    question, criterion = call.questions[0], call.criteria[0]
    heading = call.budget_headings[0]
    assert localized(call, "title", "fr").text == "Réseaux communautaires 2026"
    assert localized(question, "label", "fr").text == "Décrivez votre communauté"
    assert localized(criterion, "label", "fr").text == "Pertinence"
    assert localized(heading, "label", "fr").text == "Coûts directs"
    assert localized(heading.categories[0], "label", "fr").text == "Personnel"
    # What was not given keeps the original, marked as a fallback for French readers.
    assert localized(question, "help_text", "fr").fallback
    rows = audits("text.translated")
    assert {(row.object_type, row.object_id) for row in rows} == {
        ("Call", call.id), ("Question", question.id), ("RubricCriterion", criterion.id),
        ("BudgetHeading", heading.id), ("BudgetCategory", heading.categories[0].id)}
    title_row = next(row for row in rows if row.object_type == "Call")
    assert title_row.before == {"language": "fr", "texts": {}}
    assert title_row.after == {"language": "fr", "texts": {"title": "Réseaux communautaires 2026"}}
    assert title_row.actor_id == admin.id


def test_an_empty_text_clears_its_translation_and_a_text_left_out_stays(call, admin):
    translate_call(admin, call.id, TranslationInput.from_input(
        french(call, **{"Describe your community": "Décrivez", "Who, where, how many.": "Qui, où, combien."})))
    label_key, help_key = keys(call)["Describe your community"], keys(call)["Who, where, how many."]
    assert translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", label_key: "  "})) == 1
    question = fresh(call).questions[0]
    assert question.translations == {"fr": {"help_text": "Qui, où, combien."}}
    translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", help_key: ""}))
    assert fresh(call).questions[0].translations == {}  # no empty language left behind


def test_saving_the_same_texts_twice_changes_and_audits_nothing_more(call, admin):
    data = french(call, **{"Community networks 2026": "Réseaux communautaires 2026"})
    translate_call(admin, call.id, TranslationInput.from_input(data))
    assert translate_call(admin, call.id, TranslationInput.from_input(data)) == 0  # a double click
    assert len(audits("text.translated")) == 1


def test_translations_of_other_languages_are_kept(call, admin):
    title = keys(call)["Community networks 2026"]
    translate_call(admin, call.id, TranslationInput.from_input({"language": "es", title: "Redes comunitarias"}))
    translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", title: "Réseaux"}))
    assert fresh(call).translations == {"es": {"title": "Redes comunitarias"}, "fr": {"title": "Réseaux"}}


def test_a_save_reads_the_rows_afresh_so_another_admins_language_is_not_lost(call, admin):
    title = keys(call)["Community networks 2026"]
    assert call.translations == {}  # as this admin's page loaded it
    with _db.engine.begin() as conn:  # meanwhile another admin saved Spanish
        conn.execute(update(Call).where(Call.id == call.id).values(translations={"es": {"title": "Redes"}}))
    translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", title: "Réseaux"}))
    _db.session.commit()
    assert fresh(call).translations == {"es": {"title": "Redes"}, "fr": {"title": "Réseaux"}}


# ---------------------------------------------------------------- refused, naming the field, nothing saved


@pytest.mark.parametrize("language", ["de", "", None, "FR", "en-GB"])
def test_a_language_the_site_does_not_have_is_refused(call, language):
    with pytest.raises(ValidationFailed) as refused:
        TranslationInput.from_input({"language": language, "call_title": "Titel"})
    assert list(refused.value.errors) == ["language"]


def test_the_calls_own_language_is_refused(call, admin):
    with pytest.raises(ValidationFailed) as refused:
        translate_call(admin, call.id, TranslationInput.from_input({"language": "en", "call_title": "Other"}))
    assert "own language" in str(refused.value.errors["language"][0])
    assert fresh(call).translations == {}


def test_too_long_texts_are_refused_each_under_its_key_with_its_limit(call):
    question_key = keys(call)["Describe your community"]
    with pytest.raises(ValidationFailed) as refused:
        TranslationInput.from_input({"language": "fr", "call_title": "x" * 201, question_key: "y" * 301,
                                     "call_description": "z" * 50_000})
    errors = {key: [str(message) for message in messages] for key, messages in refused.value.errors.items()}
    assert errors == {"call_title": ["Use at most 200 characters."], question_key: ["Use at most 300 characters."]}


def test_a_text_of_another_call_is_refused_and_nothing_is_saved(call, admin):
    other = CallFactory()
    stranger = QuestionFactory(call=other, label="Elsewhere")
    key = f"question_{stranger.id}_label"
    with pytest.raises(ValidationFailed) as refused:
        translate_call(admin, call.id, TranslationInput.from_input(
            {"language": "fr", "call_title": "Réseaux", key: "Ailleurs"}))
    assert list(refused.value.errors) == [key]
    _db.session.rollback()
    assert fresh(call).translations == {} and _db.session.get(Question, stranger.id).translations == {}


def test_keys_that_name_no_text_are_not_read(call, admin):
    command = TranslationInput.from_input({"language": "fr", "call_title": "Réseaux", "csrf_token": "x",
                                           "call_status": "closed", "question_1_weight": "9"})
    assert command.texts == {"call_title": "Réseaux"}


def test_only_admins_translate_and_a_missing_call_is_not_found(call):
    command = TranslationInput.from_input({"language": "fr", "call_title": "Réseaux"})
    for user in (UserFactory(), UserFactory(roles=["reviewer"])):
        with pytest.raises(PermissionDenied):
            translate_call(user, call.id, command)
    with pytest.raises(NotFound):
        translate_call(UserFactory(roles=["admin"]), call.id + 1000, command)


def test_a_call_in_review_changes_its_title_or_description_only_with_a_reason(call, admin):
    call.opens_at, call.closes_at = utcnow() - timedelta(days=30), utcnow() - timedelta(days=1)
    _db.session.commit()
    title, question = keys(call)["Community networks 2026"], keys(call)["Describe your community"]
    with pytest.raises(ValidationFailed) as refused:
        translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", title: "Réseaux"}))
    assert list(refused.value.errors) == ["reason"]
    assert translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", question: "Décrivez"})) == 1
    translate_call(admin, call.id, TranslationInput.from_input(
        {"language": "fr", title: "Réseaux", "reason": "French-speaking reviewers joined."}))
    assert audits("text.translated")[-1].after["reason"] == "French-speaking reviewers joined."


# ---------------------------------------------------------------- the call's own language


def test_the_calls_language_changes_with_its_questionnaires_and_is_audited(call, admin):
    set_call_language(admin, call.id, CallLanguageInput.from_input({"language": "fr"}))
    _db.session.commit()
    call = fresh(call)
    assert call.language == "fr" and call.questionnaire.language == "fr"
    assert call.criteria[0].text_language == "fr" and call.questions[0].text_language == "fr"
    [row] = audits("call.language_changed")
    assert (row.before, row.after) == ({"language": "en"}, {"language": "fr", "reason": None})
    set_call_language(admin, call.id, CallLanguageInput.from_input({"language": "fr"}))  # the same: nothing
    assert len(audits("call.language_changed")) == 1


def test_a_language_the_call_is_translated_into_cannot_become_its_own(call, admin):
    criterion_key = keys(call)["Relevance"]
    translate_call(admin, call.id, TranslationInput.from_input({"language": "fr", criterion_key: "Pertinence"}))
    with pytest.raises(ValidationFailed) as refused:
        set_call_language(admin, call.id, CallLanguageInput.from_input({"language": "fr"}))
    assert list(refused.value.errors) == ["language"]
    assert fresh(call).language == "en"


def test_a_call_in_review_changes_its_language_only_with_a_reason(call, admin):
    call.opens_at, call.closes_at = utcnow() - timedelta(days=30), utcnow() - timedelta(days=1)
    _db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        set_call_language(admin, call.id, CallLanguageInput.from_input({"language": "es"}))
    assert list(refused.value.errors) == ["reason"]
    set_call_language(admin, call.id, CallLanguageInput.from_input({"language": "es", "reason": "Typed in Spanish."}))
    assert fresh(call).language == "es"


def test_an_unknown_language_and_a_non_admin_are_refused(call):
    with pytest.raises(ValidationFailed):
        CallLanguageInput.from_input({"language": "xx"})
    with pytest.raises(PermissionDenied):
        set_call_language(UserFactory(), call.id, CallLanguageInput.from_input({"language": "fr"}))


# ---------------------------------------------------------------- availability and progress


def test_a_call_is_available_in_a_language_once_it_and_every_question_are_translated(call, admin):
    assert call_languages(call) == ["en"]
    translate_call(admin, call.id, TranslationInput.from_input(french(call, **{
        "Community networks 2026": "Réseaux", "Grants for community networks.": "Subventions.",
        "Describe your community": "Décrivez", "Your plan": "Votre plan"})))
    assert call_languages(fresh(call)) == ["en"]  # the first question's help text is still English
    translate_call(admin, call.id, TranslationInput.from_input(french(call, **{"Who, where, how many.": "Qui ?"})))
    # The rubric and the budget labels do not count: applicants can read and fill in everything in French.
    assert call_languages(fresh(call)) == ["en", "fr"]


def test_progress_counts_the_written_texts_translated_into_each_language(call, admin):
    texts = call_texts(call)
    written = sum(1 for text in texts if text.original)
    assert written == 9  # title, description, 2 labels, 1 help text, criterion label and guidance, heading, category
    assert written == len(texts) - 1
    translate_call(admin, call.id, TranslationInput.from_input(french(call, **{"Staff": "Personnel"})))
    progress = translation_progress(fresh(call), call_texts(call))
    assert set(progress) == {"fr", "es", "pt"}
    assert (progress["fr"].done, progress["fr"].total, progress["es"].done) == (1, 9, 0)


def test_the_texts_of_a_call_cost_four_queries_whatever_their_number(call):
    from tests.querycount import count_statements

    _db.session.expire_all()
    call = _db.session.get(Call, call.id)
    _, few = count_statements(lambda: [text.original for text in call_texts(call)])
    for position in range(2, 8):
        QuestionFactory(call=call, position=position, help_text="Help")
        RubricCriterionFactory(call=call, position=position)
    _db.session.expire_all()
    call = _db.session.get(Call, call.id)
    _, many = count_statements(lambda: [text.original for text in call_texts(call)])
    assert few == many == 4
    assert _db.session.scalar(select(func.count(RubricCriterion.id))) == 7
