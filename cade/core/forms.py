"""What every domain's forms and views share: numbers as people type them, and a service's errors placed on the form."""

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from flask import flash
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import DecimalField, Field, FieldList, FormField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget, TextInput
from wtforms.fields.choices import SelectChoice

from cade.core.errors import DomainError, ValidationFailed
from cade.core.money import minor_units, to_minor
from cade.extensions import db


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as check boxes (the site's field macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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


def save_form(form, action: Callable[[], object], success_message: str, *,
              refusal: type[DomainError] = ValidationFailed) -> bool:
    """Run the one service behind a valid form, as a view's unit of work; True when it was saved.

    Commits and flashes `success_message`, or, when the service raises
    `refusal`, rolls back and places the refusal on the form (place_errors).
    Any other error propagates.
    """
    try:
        action()
    except refusal as exc:
        db.session.rollback()
        place_errors(form, exc)
        return False
    db.session.commit()
    flash(success_message, "success")
    return True


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


# What the form itself shows for a saved value ("20000.50"): read as it is, whatever the locale.
_PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009]+")
# Nothing a form needs is this large; refusing early keeps huge exponents away from int().
_MAX_ADJUSTED_EXPONENT = 15


def parse_decimal_input(text: str, locale: str) -> Decimal:
    """A number as a person types it: "20000.50", or in their locale ("20 000,50" in French).

    Raises ValueError with a message to show. Infinity, NaN and absurdly
    large values are refused here, before anything computes with them.
    """
    text = (text or "").strip()
    try:
        if _PLAIN_DECIMAL.fullmatch(text):
            value = Decimal(text)
        else:
            # People type an ordinary space where the locale groups digits with a narrow one.
            value = parse_decimal(_SPACES.sub(get_group_symbol(locale), text), locale=locale, strict=True)
    except (InvalidOperation, NumberFormatError, ValueError):
        raise ValueError(_("Enter a number.")) from None
    if not value.is_finite():
        raise ValueError(_("Enter a number."))
    if value and value.adjusted() >= _MAX_ADJUSTED_EXPONENT:
        raise ValueError(_("This number is too large."))
    return value


class LocalDecimalField(DecimalField):
    """A DecimalField that reads the reader's own way of writing numbers (see parse_decimal_input).

    It renders a text input with a decimal keypad: a browser's number input
    would refuse or blank "25 000,50" before the server could read it.
    """

    widget = TextInput()

    def __call__(self, **kwargs):
        kwargs.setdefault("inputmode", "decimal")
        return super().__call__(**kwargs)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "DecimalField"  # templates render it as any decimal input

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        if not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = parse_decimal_input(valuelist[0], str(get_locale() or "en"))
        except ValueError:
            self.data = None
            raise


def check_money_places(field, currency: str) -> bool:
    """Mark an amount field whose value has more decimal places than `currency` has; False when it did.

    A shape error, never a rounding: 20000.005 dollars is refused, not read as 20000.01. A field
    left empty or already in error is left alone.
    """
    if field.data is None or field.errors:
        return True
    try:
        to_minor(field.data, currency)
    except ValueError:
        field.errors = [*field.errors, _("Use at most %(n)d decimal places.", n=minor_units(currency))]
        return False
    return True
