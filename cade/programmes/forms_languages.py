"""The forms of a call's languages: the language its own text is written in, and its texts in one other language
(shape only: the commands in cade/programmes/call_languages.py clean them, every error at once)."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from cade.core.forms import select_choices
from cade.core.questionnaires import SHORT_TEXT_MAX_CHARS
from cade.core.templating import language_name
from cade.programmes.call_languages import CallText

REASON_HINT = _l("This call is in review: say why you are changing it. The reason is kept in the audit log.")


class CallLanguageForm(FlaskForm):
    language = SelectField(_l("The language the call is written in"), validate_choice=False, description=_l(
        "The language of its title, description, questions and rubric as you wrote them. Readers whose language "
        "has no translation read this one, marked as such."))
    reason = TextAreaField(_l("Why you are changing it"), description=REASON_HINT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = select_choices(
            (code, language_name(code)) for code in current_app.config["LANGUAGES"])


class TranslationForm(FlaskForm):
    """A call's texts in one language: one field per text written in the call's own (built per call)."""

    reason = TextAreaField(_l("Why you are changing the title or description"), description=REASON_HINT)

    texts: list[CallText] = []

    def text_fields(self):
        """(text, field) in the order of the call's pages."""
        return [(text, self[text.key]) for text in self.texts]


def text_label(text: CallText):
    """What a text's field is called: "Title", "Question 2", "Question 2: help text", "Budget category 3"."""
    n = text.number
    return {
        ("call", "title"): lambda: _l("Title"),
        ("call", "description"): lambda: _l("Description"),
        ("question", "label"): lambda: _l("Question %(n)d", n=n),
        ("question", "help_text"): lambda: _l("Question %(n)d: help text", n=n),
        ("criterion", "label"): lambda: _l("Criterion %(n)d", n=n),
        ("criterion", "guidance"): lambda: _l("Criterion %(n)d: guidance", n=n),
        ("heading", "label"): lambda: _l("Budget heading %(n)d", n=n),
        ("category", "label"): lambda: _l("Budget category %(n)d", n=n),
    }[text.kind, text.name]()


def translation_form(texts: list[CallText], language: str) -> TranslationForm:
    """The form of `language` for the call's written texts (those with an original), filled with their
    translations unless one was posted."""

    class CallTranslationForm(TranslationForm):
        pass

    shown = [text for text in texts if text.original.strip()]
    for text in shown:
        field_class = StringField if text.limit <= SHORT_TEXT_MAX_CHARS else TextAreaField
        setattr(CallTranslationForm, text.key, field_class(text_label(text)))
    form = CallTranslationForm(data={text.key: text.translation(language) for text in shown})
    form.texts = shown
    return form
