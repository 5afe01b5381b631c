"""A call's budget template: its headings, their caps and categories, the co-financing it asks, and how to read them.

Reading. `budget_template(call)` is what every page, check and report asks: the categories a call offers,
grouped under their headings with the caps, or, for a call whose template has no category yet, the default
categories (DEFAULT_BUDGET_CATEGORIES) under no heading, as every call had before templates. Labels come in the
reader's language (cade/core/translations.py); `category_label(call, code)` names one code on any page, a code
the template does not know (a line stored before the template changed) by its default label or as it is. The
checks against a template are cade/applications/budget_checks.py.

Changing. Each service takes the acting administrator, flushes, never commits, and writes an audit row with the
values before and after. Two rules keep the checks meaningful:

- A call in review (published and closed: `Call.is_in_review`) refuses every change to what applicants were
  checked against: caps, kinds, categories added or removed, codes, the ineligible flag, co-financing. Relabelling
  and reordering stay open. A reason in the audit log (update_call's rule for the call's own fields) would not
  help here: an application already checked against a 7 % cap would be judged against another one.
- Once the call has applications (`is_call_locked`), budget lines hold category codes: a code cannot change, a
  category (or a heading holding one) cannot be deleted, and a call that still uses the default categories
  cannot start a template, which would leave those lines without a category of the call.
"""

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_percent
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cade.core.translations import localized
from cade.extensions import db
from cade.programmes.constants import DEFAULT_BUDGET_CATEGORIES, BudgetHeadingKind
from cade.programmes.models import BudgetHeading, Call


@dataclass(frozen=True)
class CategoryOption:
    """A category a call offers: the code a budget line stores, its label, and whether the call refuses it."""

    code: str
    label: str
    ineligible: bool = False


@dataclass(frozen=True)
class HeadingRules:
    """A heading and its caps: an amount in minor units of the call's currency, a share of the direct costs in
    percent, both or neither."""

    label: str
    kind: str
    cap_minor: int | None
    cap_percent: Decimal | None
    categories: tuple[CategoryOption, ...]

    @property
    def codes(self) -> frozenset[str]:
        """The codes whose lines count towards this heading: its eligible categories (ineligible costs count
        towards nothing; they are refused)."""
        return frozenset(option.code for option in self.categories if not option.ineligible)


@dataclass(frozen=True)
class BudgetTemplate:
    """What a call asks of a budget: its headings (none: the default categories) and its co-financing share."""

    currency: str
    headings: tuple[HeadingRules, ...] = ()
    cofinancing_percent: Decimal | None = None

    @property
    def options(self) -> tuple[CategoryOption, ...]:
        if not self.headings:
            return tuple(CategoryOption(code, str(label)) for code, label in DEFAULT_BUDGET_CATEGORIES.items())
        return tuple(option for heading in self.headings for option in heading.categories)

    def option(self, code: str | None) -> CategoryOption | None:
        return next((option for option in self.options if option.code == code), None)

    @property
    def direct_codes(self) -> frozenset[str]:
        """The codes of the direct costs: what a cap given as a share is a share of."""
        return frozenset(code for heading in self.headings if heading.kind == BudgetHeadingKind.DIRECT
                         for code in heading.codes)

    @property
    def has_rules(self) -> bool:
        """Whether there is anything to check beyond the lines adding up (a panel is worth showing)."""
        return bool(self.headings or self.cofinancing_percent)


def budget_template(call: Call) -> BudgetTemplate:
    """The call's template as applicants read it, in the reader's language (two queries).

    Headings without a category are left out; a call none of whose headings has one offers the default categories.
    """
    headings = db.session.scalars(select(BudgetHeading).where(BudgetHeading.call_id == call.id)
                                  .options(selectinload(BudgetHeading.categories))
                                  .order_by(BudgetHeading.position, BudgetHeading.id)).all()
    rules = tuple(
        HeadingRules(label=str(localized(heading, "label")), kind=heading.kind, cap_minor=heading.cap_minor,
                     cap_percent=heading.cap_percent,
                     categories=tuple(CategoryOption(category.code, str(localized(category, "label")),
                                                     category.ineligible) for category in heading.categories))
        for heading in headings if heading.categories)
    return BudgetTemplate(currency=call.currency, headings=rules, cofinancing_percent=call.cofinancing_percent or None)


def percent_text(percent: Decimal | None) -> str:
    """A percentage (7, 12.5) as the reader writes it ("7 %" in French), with only the decimals it has."""
    return "" if percent is None else format_percent(Decimal(percent) / 100, "#,##0.##%")


def category_labels(call: Call) -> dict[str, str]:
    """Every label a budget line of the call may need, by code: the call's own over the default ones."""
    labels = {code: str(label) for code, label in DEFAULT_BUDGET_CATEGORIES.items()}
    labels.update({option.code: option.label for option in budget_template(call).options})
    return labels


def category_label(call: Call, code: str) -> str:
    """The label of one category code of the call (the code itself if nobody knows it)."""
    return category_labels(call).get(code, code)


# The changes (cade/programmes/budgets/changes.py), for the pages and the demo to import from one place.
from cade.programmes.budgets.changes import (  # noqa: E402
    CategoryInput,
    CofinancingInput,
    HeadingInput,
    add_category,
    add_heading,
    code_from_label,
    delete_category,
    delete_heading,
    move_category,
    move_heading,
    set_cofinancing,
    update_category,
    update_heading,
)

__all__ = [
    "BudgetTemplate", "CategoryInput", "CategoryOption", "CofinancingInput", "HeadingInput", "HeadingRules",
    "add_category", "add_heading", "budget_template", "category_label", "category_labels", "code_from_label",
    "delete_category", "delete_heading", "move_category", "move_heading", "percent_text", "set_cofinancing",
    "update_category", "update_heading",
]
