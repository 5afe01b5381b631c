"""The parts of an application a clarification request may name, and their values as the history keeps them.

A request names fields as the application's forms and services do: "title", "summary", "requested_amount",
"budget_lines" and "q_<id>" for each question of the call (file questions excepted: a document is asked for
in the message and sent with a message of the thread). `field_values` writes what the named fields hold as
raw JSON values (text, an amount as {"minor", "currency"}, budget lines as a list), so the history shows
them in the reader's language: the request keeps them as `before`, the answer's audit event as `after`.
"""

import re
from dataclasses import dataclass
from typing import Any

from cade.applications.models import Application
from cade.conversations.constants import CLARIFIABLE_FIELD_LABELS, CLARIFIABLE_FIELDS
from cade.core.money import Money
from cade.core.questionnaires import QuestionKind, kind_of
from cade.core.translations import localized
from cade.programmes.models import Call

FIELD_NAME = re.compile(r"(title|summary|requested_amount|budget_lines|q_[0-9]{1,12})")


@dataclass(frozen=True)
class NamedField:
    """A part of an application as a request names it: `name` ("q_12"), its label, and how its value reads."""

    name: str
    label: str
    reading: str  # "text", "prose", "amount", "budget", or a question kind's reading (number, date, plain…)


def is_field_name(name: str) -> bool:
    """Whether `name` has the shape of a field a request names (whether the call has it is another question)."""
    return FIELD_NAME.fullmatch(name or "") is not None


def clarifiable_fields(call: Call) -> list[NamedField]:
    """Every part of an application to `call` that a request may name, in the order of the application form."""
    readings = {"title": "text", "summary": "prose", "requested_amount": "amount", "budget_lines": "budget"}
    fields = [NamedField(name, str(CLARIFIABLE_FIELD_LABELS[name]), readings[name]) for name in CLARIFIABLE_FIELDS]
    for question in call.questions:
        if question.kind != QuestionKind.FILE:
            fields.insert(-1, NamedField(question.field_name, str(localized(question, "label")),
                                         kind_of(question.kind).reading))
    return fields


def named_fields(call: Call, names) -> list[NamedField]:
    """The fields of `names` that `call` has, in the form's order (a question deleted since is left out)."""
    names = set(names or ())
    return [named for named in clarifiable_fields(call) if named.name in names]


def field_values(application: Application, names) -> dict[str, Any]:
    """What each named field of `application` holds now, as JSON values (see the module's docstring)."""
    currency = application.call.currency
    answers = {f"q_{answer.question_id}": answer for answer in application.answers}
    questions = {question.field_name: question for question in application.call.questions}
    values: dict[str, Any] = {}
    for name in names:
        if name in ("title", "summary"):
            values[name] = getattr(application, name) or ""
        elif name == "requested_amount":
            values[name] = _amount(application.requested_amount_minor, currency)
        elif name == "budget_lines":
            values[name] = [{"category": line.category, "description": line.description,
                             "amount": _amount(line.amount_minor, currency)} for line in application.budget_lines]
        elif name in questions:
            value = kind_of(questions[name].kind).export_value(answers.get(name))
            values[name] = None if value is None else str(value)
    return values


def _amount(minor: int | None, currency: str) -> dict | None:
    return None if minor is None else Money(minor, currency).to_json()
