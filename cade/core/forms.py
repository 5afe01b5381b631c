"""What every domain's views share about forms: a service's errors placed on the form."""

from collections.abc import Mapping

from flask_login import current_user
from wtforms import Field, FieldList, FormField
from wtforms.fields.choices import SelectChoice

from cade.core.errors import DomainError, ValidationFailed


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select (WTForms 3.3 wants SelectChoice)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def current_actor():
    """The signed-in user as a plain object, to hand to a service (never the proxy)."""
    return current_user._get_current_object()


def place_errors(form, error: DomainError | Mapping, *, aliases: Mapping[str, str] | None = None,
                 form_level: bool = True) -> dict[str, list[str]]:
    """Show a service's refusal beside the fields it names.

    `error` is a DomainError (a ValidationFailed's `errors`, or one message for
    `error.field`, or for the whole form) or a mapping of field name to
    messages. Names like ``budget_lines-0-amount`` reach into field lists.
    `aliases` maps a service's name to the form's (``annual_budget_minor`` →
    ``annual_budget_amount``). Errors with no field of their own are added
    above the form when `form_level` is true, and returned either way.
    """
    if isinstance(error, Mapping):
        errors = error
    elif isinstance(error, ValidationFailed):
        errors = error.errors
    else:
        errors = {error.field or "": [error.message]}
    aliases = aliases or {}
    unplaced: dict[str, list[str]] = {}
    for name, messages in errors.items():
        texts = [str(message) for message in messages]
        field = find_field(form, aliases.get(name, name))
        if field is not None:
            field.errors = [*field.errors, *texts]
        else:
            unplaced[name] = texts
    if form_level:
        for texts in unplaced.values():
            form.form_errors.extend(texts)
    return unplaced


def find_field(form, name: str) -> Field | None:
    """The field a dashed name points at (``budget_lines-0-amount``), or None."""
    if not name:
        return None
    node = form
    for part in name.split("-"):
        try:
            if isinstance(node, FieldList):
                node = node.entries[int(part)]
            elif isinstance(node, FormField):
                node = node.form[part]
            else:
                node = node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    # A whole list or sub-form keeps its own structure of errors: say it above the form.
    if not isinstance(node, Field) or isinstance(node, (FieldList, FormField)):
        return None
    return node
