"""Text in several languages as readers get it: `localized` and its fallbacks, `languages_of`, the macro that marks a
fallback (its `lang` and visible marker), and a question's form field built from its localized label and help."""

from dataclasses import dataclass, field

import pytest
from flask import render_template_string
from flask_babel import refresh
from markupsafe import Markup

from cade.core.questionnaires import kind_of
from cade.core.templating import local_markup
from cade.core.translations import LocalText, languages_of, localized
from tests.factories import CallFactory, QuestionFactory


@dataclass
class Row:
    """A row shaped like a Translatable one (cade/core/translations.py), written in `text_language`."""

    label: str | None = "Budget"
    help_text: str | None = "In US dollars."
    translations: dict | None = field(default_factory=dict)
    text_language: str = "en"
    translatable_fields: tuple = ("label", "help_text")


# ---------------------------------------------------------------- localized()


def test_the_readers_language_is_given_where_it_is_written():
    row = Row(translations={"fr": {"label": "Budget prévu"}})
    assert localized(row, "label", "fr") == LocalText("Budget prévu", "fr", False)


def test_a_missing_translation_falls_back_to_the_rows_language_marked():
    row = Row(translations={"fr": {"label": "Budget prévu"}})
    assert localized(row, "help_text", "fr") == LocalText("In US dollars.", "en", True)
    assert localized(row, "label", "es") == LocalText("Budget", "en", True)


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_translation_counts_as_missing(blank):
    row = Row(translations={"fr": {"label": blank}})
    assert localized(row, "label", "fr") == LocalText("Budget", "en", True)


def test_a_reader_of_the_rows_own_language_gets_its_own_text_whatever_is_translated():
    row = Row(translations={"fr": {"label": "Budget prévu"}})
    assert localized(row, "label", "en") == LocalText("Budget", "en", False)


def test_an_empty_original_without_translation_has_nothing_to_mark():
    assert localized(Row(help_text=None), "help_text", "fr") == LocalText("", "en", False)
    assert not localized(Row(help_text=None), "help_text", "fr")


def test_a_regional_locale_reads_its_language_and_rows_without_translations_still_work():
    row = Row(translations=None, text_language="fr", label="Budget prévu")
    assert localized(row, "label", "fr_FR") == LocalText("Budget prévu", "fr", False)
    assert localized(row, "label", "en_GB") == LocalText("Budget prévu", "fr", True)


def test_the_interface_locale_is_the_default_reader(app):
    row = Row(translations={"fr": {"label": "Budget prévu"}})
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert localized(row, "label").text == "Budget prévu"
    with app.test_request_context(headers={"Accept-Language": "pt"}):
        assert localized(row, "label") == LocalText("Budget", "en", True)


# ---------------------------------------------------------------- languages_of()


def test_languages_of_a_row_are_its_own_then_those_with_every_written_field():
    row = Row(translations={"fr": {"label": "Budget prévu", "help_text": "En dollars."},
                            "es": {"label": "Presupuesto"},  # help text missing: not Spanish yet
                            "pt": {"label": "Orçamento", "help_text": "  "}})
    assert languages_of(row) == ["en", "fr"]
    # A field left empty in the original needs no translation.
    assert languages_of(Row(help_text="", translations={"es": {"label": "Presupuesto"}})) == ["en", "es"]


# ---------------------------------------------------------------- the macro and its Python twin


def render(source: str, **context) -> str:
    return render_template_string('{% import "_macros/local_text.html" as local %}' + source, **context)


def test_a_fallback_carries_its_lang_and_a_visible_marker_in_the_readers_words(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        html = render('{{ local.text(t, "strong") }}', t=LocalText("Budget <b>", "en", True))
        assert html == ('<strong lang="en">Budget &lt;b&gt;</strong> '
                        '<span class="muted fallback">(en anglais)</span>')
        # Untranslated so far, the words around the name come in English; the name is the reader's.


def test_the_readers_own_words_carry_no_lang_nor_marker(app):
    with app.test_request_context():
        assert render("{{ local.text(t) }}", t=LocalText("Budget & co", "fr", False)) == "Budget &amp; co"
        assert render('{{ local.text(t, "p", "hint") }}', t=LocalText("Budget", "fr", False)) == (
            '<p class="hint">Budget</p>')
        assert render("{{ local.text(t) }}", t="A plain <string>") == "A plain &lt;string&gt;"
        assert render("{{ local.note(t) }}|{{ local.lang(t) }}", t=LocalText("B", "fr", False)) == "|"


def test_the_marker_and_lang_alone_for_a_block_placed_apart(app):
    with app.test_request_context():
        t = LocalText("Long description", "fr", True)
        assert render("<div{{ local.lang(t) }}>{{ t.text }}</div>", t=t) == '<div lang="fr">Long description</div>'
        assert "(in French)" in render("{{ local.note(t) }}", t=t)


def test_localized_is_a_global_and_a_filter_of_every_template(app):
    row = Row(translations={"fr": {"label": "Budget prévu"}})
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert render_template_string('{{ localized(row, "label") }}|{{ row|localized("label") }}', row=row) == (
            "Budget prévu|Budget prévu")


def test_local_markup_gives_python_the_macros_html(app):
    with app.test_request_context():
        fallback = LocalText("Budget", "en", True)
        assert local_markup(fallback) == Markup(render("{{ local.text(t) }}", t=fallback))
        assert isinstance(local_markup(fallback), Markup)
        assert local_markup(LocalText("Budget", "en", False)) == "Budget"
        assert not isinstance(local_markup(LocalText("<b>", "en", False)), Markup)  # escaped where shown


# ---------------------------------------------------------------- a question's form field


def test_a_question_field_is_labelled_in_the_readers_language_and_its_help_falls_back_marked(app, db):
    call = CallFactory()
    question = QuestionFactory(call=call, label="Describe your community", help_text="Who & where.",
                               required=True, word_limit=100,
                               translations={"fr": {"label": "Décrivez votre communauté"}})
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        field = kind_of("long_text").form_field(question)
        assert field.args[0] == "Décrivez votre communauté"
        description = field.kwargs["description"]
        assert isinstance(description, Markup)
        assert description.startswith('<span lang="en">Who &amp; where.</span> <span class="muted fallback">')
        # Then "Required to submit." and the word limit, in French, as before.
        assert description.striptags().startswith("Who & where. (en anglais) Obligatoire")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the test's app context outlives the request: forget the French it cached
        field = kind_of("long_text").form_field(question)
        assert field.args[0] == "Describe your community"
        assert field.kwargs["description"] == "Who & where. Required to submit. At most 100 words."
        assert not isinstance(field.kwargs["description"], Markup)


def test_an_english_reader_of_a_french_call_gets_the_french_label_marked(app, db):
    call = CallFactory(language="fr")
    call.questionnaire.language = "fr"
    question = QuestionFactory(call=call, kind="short_text", label="Où ?", help_text=None, required=False)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        label = kind_of("short_text").form_field(question).args[0]
        assert label == Markup('<span lang="fr">Où ?</span> <span class="muted fallback">(in French)</span>')
