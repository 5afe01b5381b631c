"""The forms of questions, answers, notices and the cut-off (shape only: the commands in asking.py, answering.py
and notices.py clean them and name every error at once).

Answer and notice forms are built per call: one field per text in the call's language, and one per text in
each of the site's other languages (`answer_fr`), all optional.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Optional

from cade.core.templating import language_name
from cade.enquiries.constants import QUESTION_MAX_CHARS
from cade.enquiries.texts import other_languages
from cade.programmes.forms import DATETIME_FORMATS, MomentField


class Required:
    """Marks a field required (the label's asterisk); the command says when it is missing, with every other error."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class QuestionForm(FlaskForm):
    body = TextAreaField(_l("Your question"), validators=[Required()], render_kw={"rows": 6,
                                                                                 "maxlength": QUESTION_MAX_CHARS},
                         description=_l("At most %(n)d characters. It is published without your name: leave out "
                                        "anything that says who you are.", n=QUESTION_MAX_CHARS))


class CutoffForm(FlaskForm):
    questions_close_at = MomentField(_l("Questions close"), format=DATETIME_FORMATS, validators=[Optional()])


# Labels of the texts, and of their versions in another language.
_LABELS = {
    "public_question": (_l("Question as published"),
                        lambda language: _l("Question as published, in %(language)s", language=language)),
    "answer": (_l("Answer"), lambda language: _l("Answer, in %(language)s", language=language)),
    "body": (_l("Text of the notice"), lambda language: _l("Text of the notice, in %(language)s", language=language)),
}


def _translated_form(base: type[FlaskForm], fields: tuple[str, ...], language: str, required: tuple[str, ...],
                     descriptions: dict | None = None, **kwargs) -> FlaskForm:
    class TranslatedForm(base):
        pass

    for name in fields:
        own, other = _LABELS[name]
        setattr(TranslatedForm, name, TextAreaField(
            own, validators=[Required()] if name in required else [], render_kw={"rows": 5},
            description=(descriptions or {}).get(name)))
    for code in other_languages(language):
        for name in fields:
            setattr(TranslatedForm, f"{name}_{code}", TextAreaField(
                _LABELS[name][1](language_name(code)), render_kw={"rows": 4, "lang": code}))
    return TranslatedForm(**kwargs)


def answer_form(call, **kwargs) -> FlaskForm:
    """The answer form of a call's question: the question as published and its answer, in each language."""
    return _translated_form(FlaskForm, ("public_question", "answer"), call.language, ("public_question", "answer"),
                            {"public_question": _l("Reworded if need be so that it names nobody.")}, **kwargs)


def corrigendum_form(call, **kwargs) -> FlaskForm:
    # Prefixed: the notices page holds this form and the extension's, each with a "body".
    return _translated_form(FlaskForm, ("body",), call.language, ("body",), prefix="corrigendum", **kwargs)


class _ExtensionBase(FlaskForm):
    new_closes_at = MomentField(_l("New deadline"), format=DATETIME_FORMATS, validators=[Required()])


def extension_form(call, **kwargs) -> FlaskForm:
    form = _translated_form(_ExtensionBase, ("body",), call.language, (), {
        "body": _l("Optional: why the deadline moves. The notice gives the deadlines before and after.")},
        prefix="extension", **kwargs)
    form.new_closes_at.description = _l("In the call's time zone, %(zone)s; later than the current deadline.",
                                        zone=call.timezone)
    return form


def translation_fields(form, name: str) -> list:
    """The form's versions of `name` in other languages, in the site's order."""
    return [field for field in form if field.short_name.startswith(f"{name}_")]
