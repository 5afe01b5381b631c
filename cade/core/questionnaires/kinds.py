"""What each kind of question does, in one object per kind: the form field an applicant fills in,
how an answer is cleaned, when it counts as empty, what stops it being complete, how it reads and
what an export holds.

Answers are read through three attributes, `text`, `number` and `date_value`
(an `Answer` row, or any object shaped like one such as a reviewer's reading
copy); file questions are answered with attachments instead, passed in as
`files`. Numbers are kept as Numeric(18, 4) by every owner's answer table,
hence NUMBER_PLACES and NUMBER_MAX.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from cade.core.forms import LocalDecimalField, select_choices
from cade.core.templating import local_markup
from cade.core.translations import LocalText, localized, reader_language


class QuestionKind(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    CHOICE = "choice"
    DATE = "date"
    FILE = "file"


QUESTION_KIND_LABELS = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.CHOICE: _l("Choice"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.FILE: _l("File"),
}

SHORT_TEXT_MAX_CHARS = 300
MAX_WORD_LIMIT = 20_000
# Numeric(18, 4): refuse what would be rounded or overflow, never store it changed.
NUMBER_PLACES = 4
NUMBER_MAX = 10**14


def word_count(text: str | None) -> int:
    return len((text or "").split())


def _local(question, name: str):
    """`question`'s `name` (label, help_text) in the reader's language, as a form field shows it (a fallback
    marked: cade/core/templating.local_markup). A question not yet in a questionnaire has only its own text."""
    if question.questionnaire is None:
        text = LocalText(getattr(question, name) or "", reader_language(), False)
    else:
        text = localized(question, name)
    return local_markup(text)


def _sentences(*parts):
    """Non-empty parts joined by spaces; markup when one of them is (a fallback's), plain text otherwise."""
    parts = [part for part in parts if part]
    if any(isinstance(part, Markup) for part in parts):
        return Markup(" ").join(parts)
    return " ".join(str(part) for part in parts)


def _clean_text(value, max_chars: int | None) -> tuple[str, list]:
    text = value.replace("\r\n", "\n").strip()
    if max_chars is not None and len(text) > max_chars:
        return text, [_("Use at most %(n)d characters.", n=max_chars)]
    return text, []


class Kind:
    """The behaviour shared by most kinds; each subclass changes what differs.

    `stores` names the answer attribute that holds the value (None: answered
    with files); `reading` names the way the answer is shown (one of
    plain, prose, number, date, files: the macro `answer` in
    templates/applications/_reading.html); `is_text` marks the kinds an
    autosave may send; `takes_word_limit` and `takes_choices` say which
    settings a question of this kind has.
    """

    value: QuestionKind
    stores: str | None = "text"
    reading = "plain"
    is_text = False
    takes_word_limit = False
    takes_choices = False

    @property
    def label(self):
        return QUESTION_KIND_LABELS[self.value]

    # -- the form field

    def form_field(self, question):
        """An unbound WTForms field for `question`, never required (drafts may be incomplete); None for files."""
        return None

    def _label(self, question):
        return _local(question, "label")

    def _description(self, question) -> str:
        description = _local(question, "help_text")
        if question.required:
            description = (_l("Required to submit.") if not description
                           else _sentences(description, _("Required to submit.")))
        return description

    def form_value(self, answer) -> Any:
        """The stored answer as its form field shows it."""
        return None if answer is None else getattr(answer, self.stores)

    # -- cleaning

    def clean(self, question, value) -> tuple[dict | None, list]:
        """The answer columns to store for a non-blank `value`, and the errors that refuse it."""
        raise NotImplementedError

    # -- emptiness and completeness

    def is_empty(self, answer, files=()) -> bool:
        return answer is None or getattr(answer, self.stores) in (None, "")

    def missing_message(self) -> str:
        return _("Answer this question.")

    def problems(self, question, answer) -> list:
        """What keeps a non-empty answer from being submitted (limits, options)."""
        return []

    # -- reading and export

    def export_value(self, answer, files=()) -> Any:
        """The answer as a spreadsheet cell: str, Decimal or ISO date; None when unanswered."""
        return None if self.is_empty(answer, files) else getattr(answer, self.stores)


class ShortText(Kind):
    value = QuestionKind.SHORT_TEXT
    is_text = True

    def form_field(self, question):
        return StringField(self._label(question), validators=[Optional(), Length(max=SHORT_TEXT_MAX_CHARS)],
                           description=self._description(question))

    def clean(self, question, value):
        if not isinstance(value, str):
            return None, [_("Enter text.")]
        text, errors = _clean_text(value, SHORT_TEXT_MAX_CHARS)
        return {"text": text}, errors

    def problems(self, question, answer):
        if len(answer.text or "") > SHORT_TEXT_MAX_CHARS:
            return [_("Use at most %(n)d characters.", n=SHORT_TEXT_MAX_CHARS)]
        return []


class LongText(Kind):
    value = QuestionKind.LONG_TEXT
    reading = "prose"
    is_text = True
    takes_word_limit = True

    def form_field(self, question):
        description = self._description(question)
        if question.word_limit:
            limit = _("At most %(n)d words.", n=question.word_limit)
            description = _sentences(description, limit)
        return TextAreaField(self._label(question), validators=[Optional()], description=description)

    def clean(self, question, value):
        if not isinstance(value, str):
            return None, [_("Enter text.")]
        # The word limit is checked at submission: a draft may run long while it is being cut.
        text, errors = _clean_text(value, None)
        return {"text": text}, errors

    def problems(self, question, answer):
        words = word_count(answer.text)
        if question.word_limit and words > question.word_limit:
            return [_("Use at most %(limit)d words (you have %(n)d).", limit=question.word_limit, n=words)]
        return []


class Choice(Kind):
    value = QuestionKind.CHOICE
    takes_choices = True

    def form_field(self, question):
        options = [("", _l("Choose…")), *((c, c) for c in question.choices or [])]
        return SelectField(self._label(question), validators=[Optional()], description=self._description(question),
                           choices=select_choices(options))

    def clean(self, question, value):
        errors = [] if value in (question.choices or []) else [_("Choose one of the options.")]
        return {"text": str(value)}, errors

    def problems(self, question, answer):
        # The options may have been edited since the draft was saved.
        return [] if answer.text in (question.choices or []) else [_("Choose one of the options.")]


class Number(Kind):
    value = QuestionKind.NUMBER
    stores = "number"
    reading = "number"

    def form_field(self, question):
        return LocalDecimalField(self._label(question), places=None, validators=[Optional()],
                                 description=self._description(question))

    def form_value(self, answer):
        number = None if answer is None else answer.number
        if number is None:
            return None
        # 12.5000 as stored shows as 12.5, and 3.0000 as 3.
        return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()

    def clean(self, question, value):
        if (isinstance(value, bool) or not isinstance(value, (int, Decimal))
                or (isinstance(value, Decimal) and not value.is_finite())):
            return None, [_("Enter a number.")]
        number = Decimal(value)
        if abs(number) >= NUMBER_MAX:
            return None, [_("This number is too large.")]
        if number != number.quantize(Decimal(1).scaleb(-NUMBER_PLACES)):
            return None, [_("Use at most %(n)d decimal places.", n=NUMBER_PLACES)]
        return {"number": number}, []


class Date(Kind):
    value = QuestionKind.DATE
    stores = "date_value"
    reading = "date"

    def form_field(self, question):
        return DateField(self._label(question), validators=[Optional()], description=self._description(question))

    def clean(self, question, value):
        if not isinstance(value, date):
            return None, [_("Enter a date as YYYY-MM-DD.")]
        return {"date_value": value}, []

    def export_value(self, answer, files=()):
        return None if self.is_empty(answer) else answer.date_value.isoformat()


class File(Kind):
    value = QuestionKind.FILE
    stores = None
    reading = "files"

    def clean(self, question, value):
        return None, []  # answered with attachments, never with a value: any stored value is cleared

    def is_empty(self, answer, files=()) -> bool:
        return not files

    def form_value(self, answer):
        return None

    def missing_message(self) -> str:
        return _("Attach a file for this question.")

    def export_value(self, answer, files=()):
        return "; ".join(f.original_name for f in files) or None


KINDS: dict[str, Kind] = {kind.value: kind for kind in (ShortText(), LongText(), Number(), Choice(), Date(), File())}


class UnknownKind(LookupError):
    """A stored question of a kind no object here handles (a typo in data, a kind since removed)."""


def kind_of(kind: str) -> Kind:
    """The object that handles questions of `kind`; raises UnknownKind."""
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def clean_answer(question, value) -> tuple[dict | None, list]:
    """The answer columns to store for `value` (None: clear the answer) and the errors that refuse it.

    A blank value clears any kind's answer; a value that the question's kind
    does not accept, or a question of a kind nobody handles, is refused with
    a message the caller files under the question's field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, []
    try:
        kind = kind_of(question.kind)
    except UnknownKind:
        return None, [_("This question cannot be answered here.")]
    return kind.clean(question, value)


def answer_errors(question, answer, files=()) -> list:
    """What keeps `question`'s answer (or its files) from being submitted; empty when it may be."""
    try:
        kind = kind_of(question.kind)
    except UnknownKind:
        return [_("This question cannot be answered here.")]
    if kind.is_empty(answer, files):
        return [kind.missing_message()] if question.required else []
    return kind.problems(question, answer)


def store_answers(answers: list, make_answer, values_by_question: dict[int, dict | None]) -> None:
    """Write cleaned answers (from `clean_answer`) into an owner's list of answer rows, in place.

    `answers` is the owner's relationship list (an application's or a report's
    answers); `make_answer(question_id)` makes a new row for it. None removes
    the answer; a value replaces every column (text, number, date) so that a
    question whose kind changed leaves nothing stale behind.
    """
    existing = {answer.question_id: answer for answer in answers}
    for question_id, values in values_by_question.items():
        answer = existing.get(question_id)
        if values is None:
            if answer is not None:
                answers.remove(answer)
            continue
        if answer is None:
            answer = make_answer(question_id)
            answers.append(answer)
        answer.text, answer.number, answer.date_value = None, None, None
        for name, value in values.items():
            setattr(answer, name, value)
