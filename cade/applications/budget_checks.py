"""The checks of a budget against its call's template, as pure functions over the lines.

`run_budget_checks(template, lines, requested, cofinancing)` returns one named, translated result per rule, each
with pass or fail and the figures behind it. The edit page shows them all as a panel after each save (a script,
cade/static/budget-checks.js, redoes the same arithmetic as the applicant types), and submission refuses a budget
with any failing one, naming it (cade/applications/services/submission.py). The template is read once by
cade/programmes/budgets.py; nothing here touches the database.

The rules, in the order shown:

- per heading, a cap as an amount: the heading's lines add up to at most the cap;
- per heading, a cap as a share of the direct costs (the lines under the direct-cost headings): at most that
  share, the amount it allows rounded *down* to the minor unit, so the share is never exceeded (7 % of
  €10,000.05 allows €700.00, not €700.01); a line counts towards the heading of its category, and a cost the
  call does not fund counts towards none;
- no cost the call declares ineligible, each named;
- no category the call does not offer (a line saved before the template changed);
- the co-financing asked: at least that share of the whole budget (the sum of the lines), rounded *up*, so the
  share is never short;
- the lines add up to the amount requested, plus the co-financing when the call asks for it.

Every amount is an integer of minor units, and the arithmetic on percentages is exact (Decimal).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from flask_babel import gettext as _

from cade.core.money import format_money
from cade.programmes.budgets import BudgetTemplate, budget_template, percent_text


@dataclass(frozen=True)
class BudgetLineFigure:
    """What a check reads of a line: its category code and amount in minor units."""

    category: str
    amount_minor: int


@dataclass(frozen=True)
class BudgetCheck:
    """One rule and how the budget fares against it.

    `limit_minor` is what the rule allows (a cap) or asks (a minimum, a total); `entered_minor` what the budget
    holds; `gap_minor` how far it misses (0 when it passes); `base_minor` what a share is a share of. `message`
    says it in a sentence; `says_pass` and `says_fail` are the same sentences with the amounts left as
    {entered}, {limit}, {gap}, {base}, {requested} and {cofinancing}, for the page's script to fill in as the
    applicant types. `codes` are the categories the rule sums; `field` is where submission shows the message.
    """

    key: str
    kind: str  # cap | share | ineligible | offered | cofinancing | total
    label: str
    passed: bool
    message: str
    says_pass: str = ""
    says_fail: str = ""
    entered_minor: int = 0
    limit_minor: int | None = None
    gap_minor: int = 0
    base_minor: int | None = None
    percent: Decimal | None = None
    codes: tuple[str, ...] = ()
    field: str = "budget_lines"


def share_of(amount_minor: int, percent: Decimal, rounding=ROUND_FLOOR) -> int:
    """`percent` % of an amount in minor units, exact, then rounded to a whole minor unit (down by default)."""
    return int((Decimal(amount_minor) * percent / 100).to_integral_value(rounding=rounding))


def _sum(lines: Iterable[BudgetLineFigure], codes) -> int:
    return sum(line.amount_minor for line in lines if line.category in codes)


# The amounts of a sentence, as the script finds them (see BudgetCheck).
_SLOTS = {name: "{" + name + "}" for name in ("entered", "limit", "gap", "base", "requested", "cofinancing")}


def _check(currency: str, passed: bool, says_pass: str, says_fail: str, **fields) -> BudgetCheck:
    """A check whose message is its sentence with the amounts written in the reader's language."""
    message = says_pass if passed else says_fail
    amounts = {"entered": fields.get("entered_minor"), "limit": fields.get("limit_minor"),
               "gap": fields.get("gap_minor"), "base": fields.get("base_minor"),
               "requested": fields.pop("requested_minor", None), "cofinancing": fields.pop("cofinancing_minor", None)}
    for name, amount in amounts.items():
        if amount is not None:
            message = message.replace(_SLOTS[name], format_money(amount, currency))
    return BudgetCheck(passed=passed, message=message, says_pass=says_pass, says_fail=says_fail, **fields)


def _heading_checks(template: BudgetTemplate, lines: list[BudgetLineFigure]) -> list[BudgetCheck]:
    direct = _sum(lines, template.direct_codes)
    checks = []
    for index, heading in enumerate(template.headings):
        entered = _sum(lines, heading.codes)
        codes = tuple(sorted(heading.codes))
        if heading.cap_minor is not None:
            over = max(entered - heading.cap_minor, 0)
            slots = dict(heading=heading.label, cap=_SLOTS["limit"], entered=_SLOTS["entered"], over=_SLOTS["gap"])
            checks.append(_check(
                template.currency, not over, key=f"heading-{index}-cap", kind="cap", codes=codes,
                label=_("%(heading)s: at most %(cap)s", heading=heading.label,
                        cap=format_money(heading.cap_minor, template.currency)),
                says_pass=_("%(heading)s: %(entered)s of at most %(cap)s.", **slots),
                says_fail=_("%(heading)s may be at most %(cap)s; you entered %(entered)s — over by %(over)s.",
                            **slots),
                entered_minor=entered, limit_minor=heading.cap_minor, gap_minor=over))
        if heading.cap_percent is not None:
            allowed = share_of(direct, heading.cap_percent)
            over = max(entered - allowed, 0)
            slots = dict(heading=heading.label, percent=percent_text(heading.cap_percent), allowed=_SLOTS["limit"],
                         direct=_SLOTS["base"], entered=_SLOTS["entered"], over=_SLOTS["gap"])
            checks.append(_check(
                template.currency, not over, key=f"heading-{index}-share", kind="share", codes=codes,
                label=_("%(heading)s: at most %(percent)s of direct costs", **slots),
                says_pass=_("%(heading)s: %(entered)s of the %(allowed)s allowed (%(percent)s of %(direct)s).",
                            **slots),
                says_fail=_("%(heading)s may be at most %(percent)s of direct costs: %(allowed)s of %(direct)s "
                            "allowed, you entered %(entered)s — over by %(over)s.", **slots),
                entered_minor=entered, limit_minor=allowed, gap_minor=over, base_minor=direct,
                percent=heading.cap_percent))
    return checks


def _category_checks(template: BudgetTemplate, lines: list[BudgetLineFigure]) -> list[BudgetCheck]:
    refused = {option.code: option.label for option in template.options if option.ineligible}
    checks = []
    if refused:
        used = [label for code, label in refused.items() if any(line.category == code for line in lines)]
        says_pass = _("No cost the call does not fund.")
        checks.append(BudgetCheck(
            key="ineligible", kind="ineligible", codes=tuple(sorted(refused)), passed=not used,
            label=_("No cost the call does not fund"), says_pass=says_pass,
            message=(" ".join(_("%(category)s is not an eligible cost in this call.", category=label)
                              for label in used) if used else says_pass),
            entered_minor=_sum(lines, refused)))
    unknown = [n for n, line in enumerate(lines, start=1) if template.option(line.category) is None]
    if unknown:
        checks.append(BudgetCheck(
            key="offered", kind="offered", passed=False, label=_("Categories of this call"),
            message=" ".join(_("Budget line %(n)d: choose one of this call's categories.", n=n) for n in unknown)))
    return checks


def _cofinancing_check(template: BudgetTemplate, total: int, cofinancing: int | None) -> BudgetCheck:
    percent = template.cofinancing_percent
    needed = share_of(total, percent, ROUND_CEILING)
    short = max(needed - (cofinancing or 0), 0)
    slots = dict(percent=percent_text(percent), needed=_SLOTS["limit"], total=_SLOTS["base"],
                 entered=_SLOTS["entered"], short=_SLOTS["gap"])
    check = _check(
        template.currency, cofinancing is not None and not short, key="cofinancing", kind="cofinancing",
        field="cofinancing", percent=percent, label=_("Co-financing: at least %(percent)s of the budget", **slots),
        says_pass=_("Co-financing: %(entered)s, at least the %(needed)s asked (%(percent)s of %(total)s).", **slots),
        says_fail=_("You must fund at least %(percent)s of the budget yourselves: %(needed)s of %(total)s; you "
                    "entered %(entered)s — short by %(short)s.", **slots),
        entered_minor=cofinancing or 0, limit_minor=needed, gap_minor=short, base_minor=total)
    if cofinancing is None:
        check = replace(check, message=_(
            "Enter what you fund yourselves or from other sources: at least %(percent)s of the budget, %(needed)s "
            "of %(total)s.", percent=percent_text(percent), needed=format_money(needed, template.currency),
            total=format_money(total, template.currency)))
    return check


def _total_check(template: BudgetTemplate, total: int, requested: int, cofinancing: int | None) -> BudgetCheck:
    asked = template.cofinancing_percent is not None
    expected = requested + ((cofinancing or 0) if asked else 0)
    slots = dict(total=_SLOTS["entered"], requested=_SLOTS["requested"], cofinancing=_SLOTS["cofinancing"],
                 expected=_SLOTS["limit"])
    says_fail = (_("The budget lines add up to %(total)s, but you request %(requested)s and fund %(cofinancing)s "
                   "yourselves: %(expected)s.", **slots) if asked
                 else _("The budget lines add up to %(total)s, but you request %(requested)s.", **slots))
    return _check(template.currency, total == expected, key="total", kind="total",
                  label=(_("The lines add up to the amount requested plus the co-financing") if asked
                         else _("The lines add up to the amount requested")),
                  says_pass=_("The budget lines add up to %(total)s.", **slots), says_fail=says_fail,
                  entered_minor=total, limit_minor=expected, gap_minor=abs(total - expected),
                  requested_minor=requested, cofinancing_minor=cofinancing or 0)


def run_budget_checks(template: BudgetTemplate, lines: Iterable, requested_minor: int | None,
                      cofinancing_minor: int | None = None) -> list[BudgetCheck]:
    """Every check of the budget (`lines`: anything with `category` and `amount_minor`), passing or not.

    The total is checked once an amount is requested; the co-financing only when the call asks for it.
    """
    figures = [BudgetLineFigure(line.category, line.amount_minor or 0) for line in lines]
    total = sum(line.amount_minor for line in figures)
    checks = _heading_checks(template, figures) + _category_checks(template, figures)
    if template.cofinancing_percent is not None:
        checks.append(_cofinancing_check(template, total, cofinancing_minor))
    if requested_minor is not None:
        checks.append(_total_check(template, total, requested_minor, cofinancing_minor))
    return checks


def failing(checks: Iterable[BudgetCheck]) -> list[BudgetCheck]:
    return [check for check in checks if not check.passed]


def application_budget_checks(application) -> list[BudgetCheck]:
    """The checks of an application's saved budget against its call's template (two queries for the template)."""
    return run_budget_checks(budget_template(application.call), application.budget_lines,
                             application.requested_amount_minor, application.cofinancing_minor)


def budget_panel(application, template: BudgetTemplate | None = None) -> list[BudgetCheck]:
    """The checks the edit page shows of the saved draft: none where the call has no rule beyond the lines adding up
    (its page stays as it was before budget templates)."""
    template = template or budget_template(application.call)
    if not template.has_rules:
        return []
    return run_budget_checks(template, application.budget_lines, application.requested_amount_minor,
                             application.cofinancing_minor)
