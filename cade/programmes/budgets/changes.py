"""Changes to a call's budget template: headings, categories, co-financing (rules: cade/programmes/budgets)."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.audit import record_event
from cade.core.commands import Amount, Choice, Cleaner, Command, FieldErrors, Flag, Text, field
from cade.core.db import get_or_raise, lock_row
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.extensions import db
from cade.programmes.constants import BudgetHeadingKind
from cade.programmes.models import BudgetCategory, BudgetHeading, Call
from cade.programmes.services.common import is_call_locked, require_admin

# --- input -----------------------------------------------------------------------------------------------------

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
PERCENT_PLACES = 2


@dataclass(frozen=True)
class Percent(Cleaner):
    """A percentage up to 100 with at most two decimal places (7, "7.5", Decimal("12.25")) → Decimal, or None
    when left empty. Zero means none (None) where `zero_is_none`, and is refused otherwise."""

    zero_is_none: bool = False

    def clean(self, raw, cleaning):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            number = Decimal(str(raw).strip()) if not isinstance(raw, bool | float) else Decimal("NaN")
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            cleaning.refuse(_l("Enter a percentage, such as 7."))
            return None
        if number == 0 and self.zero_is_none:
            return None
        if not 0 < number <= 100:
            cleaning.refuse(_l("Enter a percentage from 0 to 100.") if self.zero_is_none
                            else _l("Enter a percentage above 0 and at most 100."))
            return None
        if number != number.quantize(Decimal(1).scaleb(-PERCENT_PLACES)):
            cleaning.refuse(_l("Use at most %(n)d decimal places.", n=PERCENT_PLACES))
            return None
        return number.quantize(Decimal(1).scaleb(-PERCENT_PLACES))


class CategoryCode(Cleaner):
    """The code a budget line stores: lower-case letters, digits, "_" and "-", at most 32; None to make one up."""

    def clean(self, raw, cleaning):
        code = str(raw).strip().lower() if raw is not None else ""
        if code and not CODE.fullmatch(code):
            cleaning.refuse(_l("Use at most 32 lower-case letters, digits, dashes or underscores, e.g. land."))
            return None
        return code or None


@dataclass(frozen=True)
class HeadingInput(Command):
    """A heading as the admin types it, whole; the cap amount in major units of the call's currency (context)."""

    label: str | None = field(Text(max_len=200, required=True))
    kind: str | None = field(Choice(BudgetHeadingKind, required=True, message=_l("Choose what the heading holds.")))
    cap_minor: int | None = field(Amount(required=False), source="cap_amount")
    cap_percent: Decimal | None = field(Percent())


@dataclass(frozen=True)
class CategoryInput(Command):
    """A category as the admin types it, whole; without a code, one is made from the label."""

    label: str | None = field(Text(max_len=200, required=True))
    code: str | None = field(CategoryCode())
    ineligible: bool = field(Flag(), default=False)


@dataclass(frozen=True)
class CofinancingInput(Command):
    """The share of the whole budget an applicant funds from other sources, in percent; empty or 0: none asked."""

    cofinancing_percent: Decimal | None = field(Percent(zero_is_none=True))


# --- rules -----------------------------------------------------------------------------------------------------

HEADING_FIELDS = ("label", "kind", "cap_minor", "cap_percent")
CATEGORY_FIELDS = ("code", "label", "ineligible", "heading_id")
IN_REVIEW = _l("This call is in review: its applications were checked against these budget rules, so the rules "
               "cannot change now. Labels can still be edited.")


def _snapshot(obj, fields) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Decimal) else value
            for name in fields for value in [getattr(obj, name)]}


def _locked_call(call_id: int) -> Call:
    # Two admins editing one template take turns: positions, codes and labels are checked against the other's.
    call = get_or_raise(Call, call_id)
    lock_row(Call, call.id)
    return call


def _refuse_in_review(call: Call) -> None:
    if call.is_in_review():
        raise InvalidTransition(IN_REVIEW)


def _refuse_changes_in_review(call: Call, changed: dict, allowed: tuple[str, ...] = ("label",)) -> None:
    if call.is_in_review():
        errors = FieldErrors()
        for name in changed.keys() - set(allowed):
            errors.add({"cap_minor": "cap_amount"}.get(name, name), IN_REVIEW)
        errors.raise_if_any()


def _refuse_taken_label(model, call_id: int, label: str, own_id: int | None, message) -> None:
    clash = db.session.scalar(select(func.count(model.id)).where(
        model.call_id == call_id, func.lower(model.label) == label.lower(), model.id != (own_id or 0)))
    if clash:
        raise ValidationFailed({"label": [message]})


def _code_taken(call_id: int, code: str, own_id: int | None = None) -> bool:
    return bool(db.session.scalar(select(func.count(BudgetCategory.id)).where(
        BudgetCategory.call_id == call_id, BudgetCategory.code == code, BudgetCategory.id != (own_id or 0))))


def code_from_label(label: str) -> str:
    """A code made from a label: "Purchase of land" → purchase_of_land (ASCII, at most 28 characters)."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:28].strip("_") or "category"


def _free_code(call_id: int, label: str) -> str:
    base = code_from_label(label)
    code, n = base, 1
    while _code_taken(call_id, code):
        n += 1
        code = f"{base}_{n}"
    return code


def _ordered(model, owner_column, owner_id: int) -> list:
    # Read afresh (populate_existing): positions loaded before the lock may be stale.
    query = select(model).where(owner_column == owner_id).order_by(model.position, model.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _renumber(items: list) -> None:
    for position, item in enumerate(items):
        item.position = position


def _move(items: list, item, direction: str) -> None:
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": [_l("Move up or down.")]})
    i = items.index(item)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    _renumber(items)
    db.session.flush()


def _call_has_categories(call_id: int) -> bool:
    return bool(db.session.scalar(select(func.count(BudgetCategory.id)).where(BudgetCategory.call_id == call_id)))


# --- headings ----------------------------------------------------------------------------------------------------


def add_heading(actor, call_id: int, command: HeadingInput) -> BudgetHeading:
    """Add a heading at the end of the call's template. Raises PermissionDenied, NotFound, InvalidTransition (in
    review), ValidationFailed (a heading of that label exists)."""
    require_admin(actor)
    call = _locked_call(call_id)
    _refuse_in_review(call)
    _refuse_taken_label(BudgetHeading, call.id, command.label, None,
                        _l("This call already has a budget heading with this label."))
    heading = BudgetHeading(call_id=call.id, position=len(_ordered(BudgetHeading, BudgetHeading.call_id, call.id)),
                            **command.changes(*HEADING_FIELDS))
    db.session.add(heading)
    db.session.flush()
    record_event(actor, "budget_heading.added", heading, None, _snapshot(heading, HEADING_FIELDS))
    db.session.expire(call, ["budget_headings"])
    return heading


def update_heading(actor, heading_id: int, command: HeadingInput) -> BudgetHeading:
    """Change a heading to `command`; in review only its label. Raises PermissionDenied, NotFound,
    ValidationFailed (naming each field that may not change, or a label taken)."""
    require_admin(actor)
    heading = get_or_raise(BudgetHeading, heading_id)
    call = _locked_call(heading.call_id)
    values = command.changes(*HEADING_FIELDS)
    changed = {name: value for name, value in values.items() if getattr(heading, name) != value}
    _refuse_changes_in_review(call, changed)
    _refuse_taken_label(BudgetHeading, call.id, command.label, heading.id,
                        _l("This call already has a budget heading with this label."))
    before = _snapshot(heading, HEADING_FIELDS)
    for name, value in changed.items():
        setattr(heading, name, value)
    db.session.flush()
    record_event(actor, "budget_heading.updated", heading, before, _snapshot(heading, HEADING_FIELDS))
    return heading


def delete_heading(actor, heading_id: int) -> None:
    """Delete a heading and its categories. Refused in review, and once applications exist for a heading that
    holds categories. Raises PermissionDenied, NotFound, InvalidTransition."""
    require_admin(actor)
    heading = get_or_raise(BudgetHeading, heading_id)
    call = _locked_call(heading.call_id)
    _refuse_in_review(call)
    if heading.categories and is_call_locked(call):
        raise InvalidTransition(_l("Applications to this call exist and their budget lines may use this heading's "
                                   "categories: it cannot be deleted. Rename it instead."))
    record_event(actor, "budget_heading.deleted", heading,
                 {**_snapshot(heading, HEADING_FIELDS), "categories": [c.code for c in heading.categories]}, None)
    db.session.delete(heading)
    db.session.flush()
    _renumber(_ordered(BudgetHeading, BudgetHeading.call_id, call.id))
    db.session.flush()
    db.session.expire(call, ["budget_headings"])


def move_heading(actor, heading_id: int, direction: str) -> None:
    """Swap a heading with its neighbour ("up" or "down"); the order is only how the budget reads, so a call in
    review may change it. Raises PermissionDenied, NotFound, ValidationFailed."""
    require_admin(actor)
    heading = get_or_raise(BudgetHeading, heading_id)
    call = _locked_call(heading.call_id)
    _move(_ordered(BudgetHeading, BudgetHeading.call_id, call.id), heading, direction)
    db.session.expire(call, ["budget_headings"])
    record_event(actor, "budget_heading.moved", heading, None, {"direction": direction, "position": heading.position})


# --- categories --------------------------------------------------------------------------------------------------


def add_category(actor, heading_id: int, command: CategoryInput) -> BudgetCategory:
    """Add a category at the end of a heading, its code as typed or made from the label.

    Raises PermissionDenied, NotFound, InvalidTransition (in review; the first category of a call with
    applications), ValidationFailed (code or label taken).
    """
    require_admin(actor)
    heading = get_or_raise(BudgetHeading, heading_id)
    call = _locked_call(heading.call_id)
    _refuse_in_review(call)
    if is_call_locked(call) and not _call_has_categories(call.id):
        raise InvalidTransition(_l("Applications to this call were written with the standard budget categories: a "
                                   "budget template cannot start once applications exist."))
    _check_category(call.id, command, None)
    category = BudgetCategory(call_id=call.id, heading_id=heading.id,
                              position=len(_ordered(BudgetCategory, BudgetCategory.heading_id, heading.id)),
                              code=command.code or _free_code(call.id, command.label), label=command.label,
                              ineligible=command.ineligible)
    db.session.add(category)
    db.session.flush()
    record_event(actor, "budget_category.added", category, None, _snapshot(category, CATEGORY_FIELDS))
    db.session.expire(heading, ["categories"])
    return category


def _check_category(call_id: int, command: CategoryInput, own_id: int | None) -> None:
    errors = FieldErrors()
    if command.code and _code_taken(call_id, command.code, own_id):
        errors.add("code", _l("Another category of this call has this code."))
    if db.session.scalar(select(func.count(BudgetCategory.id)).where(
            BudgetCategory.call_id == call_id, func.lower(BudgetCategory.label) == command.label.lower(),
            BudgetCategory.id != (own_id or 0))):
        errors.add("label", _l("This call already has a budget category with this label."))
    errors.raise_if_any()


def update_category(actor, category_id: int, command: CategoryInput) -> BudgetCategory:
    """Change a category's label, code and ineligible flag; an empty code keeps the code it has.

    The code is fixed once applications exist; in review only the label changes. Raises PermissionDenied,
    NotFound, ValidationFailed (naming each field that may not change, or a code or label taken).
    """
    require_admin(actor)
    category = get_or_raise(BudgetCategory, category_id)
    call = _locked_call(category.call_id)
    values = {"label": command.label, "code": command.code or category.code, "ineligible": command.ineligible}
    changed = {name: value for name, value in values.items() if getattr(category, name) != value}
    _refuse_changes_in_review(call, changed)
    if "code" in changed and is_call_locked(call):
        raise ValidationFailed({"code": [_l("The code cannot change once applications exist: their budget lines "
                                            "store it.")]})
    _check_category(call.id, command, category.id)
    before = _snapshot(category, CATEGORY_FIELDS)
    for name, value in changed.items():
        setattr(category, name, value)
    db.session.flush()
    record_event(actor, "budget_category.updated", category, before, _snapshot(category, CATEGORY_FIELDS))
    return category


def delete_category(actor, category_id: int) -> None:
    """Delete a category, unless the call is in review or has applications (their lines may store its code).

    Raises PermissionDenied, NotFound, InvalidTransition.
    """
    require_admin(actor)
    category = get_or_raise(BudgetCategory, category_id)
    call = _locked_call(category.call_id)
    _refuse_in_review(call)
    if is_call_locked(call):
        raise InvalidTransition(_l("Applications to this call exist and their budget lines may use this category: "
                                   "it cannot be deleted. Rename it, or mark it as not funded."))
    heading = category.heading
    record_event(actor, "budget_category.deleted", category, _snapshot(category, CATEGORY_FIELDS), None)
    db.session.delete(category)
    db.session.flush()
    _renumber(_ordered(BudgetCategory, BudgetCategory.heading_id, heading.id))
    db.session.flush()
    db.session.expire(heading, ["categories"])


def move_category(actor, category_id: int, direction: str) -> None:
    """Swap a category with its neighbour under the same heading. Raises PermissionDenied, NotFound,
    ValidationFailed."""
    require_admin(actor)
    category = get_or_raise(BudgetCategory, category_id)
    _locked_call(category.call_id)
    _move(_ordered(BudgetCategory, BudgetCategory.heading_id, category.heading_id), category, direction)
    db.session.expire(category.heading, ["categories"])
    record_event(actor, "budget_category.moved", category, None,
                 {"direction": direction, "position": category.position})


# --- co-financing ------------------------------------------------------------------------------------------------


def set_cofinancing(actor, call_id: int, command: CofinancingInput) -> Call:
    """Ask (or stop asking) applicants to fund a share of their budget themselves; refused in review.

    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    call = _locked_call(call_id)
    value = command.cofinancing_percent
    before = call.cofinancing_percent
    if before != value:
        _refuse_changes_in_review(call, {"cofinancing_percent": value}, allowed=())
        call.cofinancing_percent = value
        db.session.flush()
        record_event(actor, "call.cofinancing_changed", call,
                     {"cofinancing_percent": None if before is None else str(before)},
                     {"cofinancing_percent": None if value is None else str(value)})
    return call
