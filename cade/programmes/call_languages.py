"""A call's text in every language of the interface: its own language, and the translations of its title and
description, its questions, its rubric and its budget headings (how readers get them: cade/core/translations.py).

- A call's own columns are written in `Call.language` (and its questions in its questionnaire's `language`,
  kept equal to it here). Changing it declares them written in another language; it is refused while texts
  are translated into that language, which would become translations of themselves.
- The other languages are saved one language at a time, as one form holds them: a text given is set, a
  text given empty is cleared (readers then get the original, marked), a text not given stays as it is.
  Each row that changes gets one audit row, with its texts in that language before and after.
- A call in review (`Call.is_in_review`) changes its language, title or description only with a reason, as
  `update_call` asks of every change to the call itself; questions and criteria change without one there too.
- A call is *available* in a language when its title, description and the label and help text of every
  question, wherever written, are translated into it: an applicant can then read the call and fill in its
  form in that language. The rubric (read by reviewers) and the budget labels do not count; like any text
  left untranslated, they fall back to the call's language, marked.
"""

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.audit import record_event
from cade.core.commands import Cleaner, Cleaning, Command, FieldErrors, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import NotFound
from cade.core.questionnaires import Question
from cade.core.translations import languages_of
from cade.extensions import db
from cade.programmes.models import BudgetCategory, BudgetHeading, Call, RubricCriterion
from cade.programmes.services import CallInput, CriterionInput, QuestionInput
from cade.programmes.services.calls import REASON_MAX_CHARS
from cade.programmes.services.common import require_admin


def _command_limit(command, name: str) -> int:
    return next(spec.metadata["clean"].max_len for spec in dataclasses.fields(command) if spec.name == name)


# The longest text of each kind, as the forms that write the originals allow (or the column holds).
TEXT_LIMITS: dict[tuple[str, str], int] = {
    ("call", "title"): _command_limit(CallInput, "title"),
    ("call", "description"): _command_limit(CallInput, "description"),
    ("question", "label"): _command_limit(QuestionInput, "label"),
    ("question", "help_text"): _command_limit(QuestionInput, "help_text"),
    ("criterion", "label"): _command_limit(CriterionInput, "label"),
    ("criterion", "guidance"): _command_limit(CriterionInput, "guidance"),
    ("heading", "label"): BudgetHeading.__table__.c.label.type.length,
    ("category", "label"): BudgetCategory.__table__.c.label.type.length,
}
# A text's key, in forms and in errors: call_title, question_12_label, category_4_label.
TEXT_KEY = re.compile(r"(?P<kind>call)_(?P<call_name>\w+)|(?P<row>question|criterion|heading|category)_[0-9]{1,18}_(?P<name>\w+)")
CALL_TEXT_KEYS = ("call_title", "call_description")


def _kind_and_name(key: str) -> tuple[str, str] | None:
    """("question", "help_text") for question_12_help_text; None for a key that names no text."""
    match = TEXT_KEY.fullmatch(key)
    if match is None:
        return None
    pair = (match["kind"], match["call_name"]) if match["kind"] else (match["row"], match["name"])
    return pair if pair in TEXT_LIMITS else None


@dataclass(frozen=True)
class CallText:
    """One text of a call to translate: which row and field, its key, and its number among its kind (1, 2, …)."""

    kind: str  # call, question, criterion, heading, category
    row: Any
    name: str  # the row's field
    number: int

    @property
    def key(self) -> str:
        return f"call_{self.name}" if self.kind == "call" else f"{self.kind}_{self.row.id}_{self.name}"

    @property
    def original(self) -> str:
        return getattr(self.row, self.name) or ""

    @property
    def limit(self) -> int:
        return TEXT_LIMITS[self.kind, self.name]

    def translation(self, language: str) -> str:
        return ((self.row.translations or {}).get(language) or {}).get(self.name) or ""


def call_texts(call: Call, *, fresh: bool = False) -> list[CallText]:
    """Every text of `call` that may be translated, in the order of its pages (four queries, whatever the size).

    `fresh` reads the rows afresh (populate_existing), as a service does once it holds the call's lock.
    """
    options = {"populate_existing": True} if fresh else {}

    def rows(model, owner, *order):
        return list(db.session.scalars(select(model).where(owner).order_by(*order).execution_options(**options)))

    questions = rows(Question, Question.questionnaire_id == call.questionnaire_id, Question.position, Question.id)
    criteria = rows(RubricCriterion, RubricCriterion.call_id == call.id, RubricCriterion.position, RubricCriterion.id)
    headings = rows(BudgetHeading, BudgetHeading.call_id == call.id, BudgetHeading.position, BudgetHeading.id)
    categories = rows(BudgetCategory, BudgetCategory.call_id == call.id, BudgetCategory.position, BudgetCategory.id)
    texts = [CallText("call", call, name, 1) for name in Call.translatable_fields]
    for kind, items in (("question", questions), ("criterion", criteria)):
        texts += [CallText(kind, item, name, number)
                  for number, item in enumerate(items, start=1) for name in item.translatable_fields]
    number = 0
    for heading_number, heading in enumerate(headings, start=1):
        texts.append(CallText("heading", heading, "label", heading_number))
        for category in (c for c in categories if c.heading_id == heading.id):
            number += 1
            texts.append(CallText("category", category, "label", number))
    return texts


@dataclass(frozen=True)
class Progress:
    """How much of a call is translated into one language: `done` of the `total` texts written in its own."""

    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done == self.total


def translation_progress(call: Call, texts: list[CallText]) -> dict[str, Progress]:
    """For each interface language but the call's own, how many of its written texts are translated into it."""
    written = [text for text in texts if text.original.strip()]
    return {language: Progress(sum(1 for text in written if text.translation(language).strip()), len(written))
            for language in interface_languages() if language != call.language}


def call_languages(call: Call) -> list[str]:
    """The languages `call` can be read and applied to in: its own first, then each one its title, description
    and every question are translated into (the module's docstring says why those). Reads `call.questions`."""
    available = set(languages_of(call))
    for question in call.questions:
        available &= set(languages_of(question))
    return [call.language, *sorted(code for code in available
                                   if code != call.language and code in interface_languages())]


def interface_languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


# ---------------------------------------------------------------- commands


class InterfaceLanguage(Cleaner):
    """One of the interface's languages (config LANGUAGES), as its code."""

    def clean(self, raw, cleaning):
        code = str(raw).strip() if isinstance(raw, str) else ""
        if code not in interface_languages():
            cleaning.refuse(_l("Choose one of the site's languages."))
            return None
        return code


class Texts(Cleaner):
    """The texts of a language by key (call_title, question_12_label, …), each cleaned to its kind's limit and
    refused under its own key; an empty text is None (clear it)."""

    def clean(self, raw, cleaning):
        texts = {}
        for key, value in (raw or {}).items():
            pair = _kind_and_name(key)
            if pair is not None:  # otherwise it names no text (a form's button, a field of no kind here)
                texts[key] = Text(max_len=TEXT_LIMITS[pair]).clean(
                    value, Cleaning(key, cleaning.errors, cleaning.context, cleaning.values))
        return texts


@dataclass(frozen=True)
class CallLanguageInput(Command):
    """The language a call's own text is written in; `reason` for a call in review (kept in the audit row)."""

    language: str | None = field(InterfaceLanguage())
    reason: str | None = field(Text(max_len=REASON_MAX_CHARS))


@dataclass(frozen=True)
class TranslationInput(Command):
    """A call's texts in one `language`, by key (see `CallText.key`): given empty, a translation is cleared;
    left out, it stays. Every input key that looks like a text's key is read."""

    language: str | None = field(InterfaceLanguage())
    texts: dict[str, str | None] = field(Texts(), default_factory=dict)
    reason: str | None = field(Text(max_len=REASON_MAX_CHARS))

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None = None, **context) -> Self:
        data = dict(data or {})
        data["texts"] = {key: value for key, value in data.items() if _kind_and_name(key)}
        return super().from_input(data, **context)


# ---------------------------------------------------------------- services


def _locked_call(call_id: int) -> Call:
    lock_row(Call, call_id)  # one change to a call's texts at a time: each rewrites whole JSON maps
    call = db.session.get(Call, call_id, populate_existing=True)
    if call is None:
        raise NotFound()
    return call


IN_REVIEW = _l("This call is in review: say why you are changing it. The reason is kept in the audit log.")


def set_call_language(actor, call_id: int, command: CallLanguageInput) -> Call:
    """Declare the language `call`'s own texts (and its questions') are written in.

    Refused (under "language") while texts of the call are translated into that language, and (under
    "reason") without a reason while the call is in review. Audited with the reason.
    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    call = _locked_call(call_id)
    if command.language == call.language:
        return call
    errors = FieldErrors()
    if any(text.translation(command.language).strip() for text in call_texts(call, fresh=True)):
        errors.add("language", _l("Some texts of this call are translated into this language: clear those "
                                  "translations first, or choose the language the call is written in."))
    if call.is_in_review(utcnow()) and not command.reason:
        errors.add("reason", IN_REVIEW)
    errors.raise_if_any()
    before = call.language
    call.language = command.language
    call.questionnaire.language = command.language
    db.session.flush()
    record_event(actor, "call.language_changed", call, {"language": before},
                 {"language": call.language, "reason": command.reason})
    return call


def translate_call(actor, call_id: int, command: TranslationInput) -> int:
    """Set `call`'s texts in `command.language`; returns how many texts changed (0: nothing did).

    Refused (under "language") in the call's own language, which is edited on the call, its questions and
    rubric; (under a text's key) for a text that is not the call's (deleted since the page was opened);
    (under "reason") for a change to the title or description of a call in review without a reason.
    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    call = _locked_call(call_id)
    language = command.language
    errors = FieldErrors()
    if language == call.language:
        errors.add("language", _l("This is the call's own language: change the call, its questions and its "
                                  "rubric themselves instead."))
        errors.raise_if_any()
    texts = {text.key: text for text in call_texts(call, fresh=True)}
    for key in command.texts:
        if key not in texts:
            errors.add(key, _l("This text is no longer part of the call: reload the page."))
    changed = [texts[key] for key, value in command.texts.items()
               if key in texts and (value or "") != texts[key].translation(language)]
    if call.is_in_review(utcnow()) and not command.reason and any(t.key in CALL_TEXT_KEYS for t in changed):
        errors.add("reason", IN_REVIEW)
    errors.raise_if_any()
    for row in dict.fromkeys(text.row for text in changed):
        _set_texts(actor, row, language, {t.name: command.texts[t.key] for t in changed if t.row is row},
                   command.reason)
    return len(changed)


def _set_texts(actor, row, language: str, values: dict[str, str | None], reason: str | None) -> None:
    translations = dict(row.translations or {})
    before = dict(translations.get(language) or {})
    after = {**before, **{name: value for name, value in values.items() if value}}
    for name in (name for name, value in values.items() if not value):
        after.pop(name, None)
    if after:
        translations[language] = after
    else:
        translations.pop(language, None)
    row.translations = translations  # a new dict: the JSON column is not watched for changes in place
    db.session.flush()
    record_event(actor, "text.translated", row, {"language": language, "texts": before},
                 {"language": language, "texts": after, **({"reason": reason} if reason else {})})
