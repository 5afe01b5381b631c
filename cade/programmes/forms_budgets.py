"""Forms of a call's budget template page (shape checks only; the rules are cade/programmes/budgets)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from cade.core.forms import LocalDecimalField, check_money_places, select_choices
from cade.core.money import from_minor
from cade.programmes.constants import BUDGET_HEADING_KIND_LABELS


class HeadingForm(FlaskForm):
    label = StringField(_l("Heading"), validators=[Optional(), Length(max=200)],
                        description=_l("As applicants read it, e.g. Direct costs."))
    kind = SelectField(_l("What it holds"), choices=select_choices(BUDGET_HEADING_KIND_LABELS.items()),
                       description=_l("A cap given as a share is a share of the direct costs."))
    cap_amount = LocalDecimalField(_l("Cap as an amount (optional)"), places=None,
                                   validators=[Optional(), NumberRange(min=0)])
    cap_percent = LocalDecimalField(_l("Cap as a share of direct costs, in percent (optional)"), places=None,
                                    validators=[Optional(), NumberRange(min=0, max=100)],
                                    description=_l("e.g. 7 for indirect costs. The amount it allows is rounded "
                                                   "down to the cent, so the share is never exceeded."))

    currency = "USD"

    def validate(self, extra_validators=None) -> bool:
        return check_money_places(self.cap_amount, self.currency) and super().validate(extra_validators)


def heading_form(call, heading=None, **kwargs) -> HeadingForm:
    """The heading form in the call's currency, filled from `heading` when nothing was posted."""
    data = None
    if heading is not None:
        data = {"label": heading.label, "kind": heading.kind, "cap_percent": heading.cap_percent,
                "cap_amount": from_minor(heading.cap_minor, call.currency) if heading.cap_minor is not None else None}
    form = HeadingForm(data=data, **kwargs)
    form.currency = call.currency
    return form


class CategoryForm(FlaskForm):
    label = StringField(_l("Category"), validators=[Optional(), Length(max=200)],
                        description=_l("As applicants choose it, e.g. Personnel."))
    code = StringField(_l("Code (optional)"), validators=[Optional(), Length(max=32)],
                       description=_l("What a budget line stores and exports show. Left empty, it is made from "
                                      "the label; it cannot change once applications exist."))
    ineligible = BooleanField(_l("Not funded: the call lists it as an ineligible cost and refuses it"))


class CofinancingForm(FlaskForm):
    cofinancing_percent = LocalDecimalField(
        _l("Co-financing, in percent of the whole budget"), places=None,
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("What applicants must fund themselves or from other sources. Empty or 0: none asked. "
                       "The amount it asks is rounded up to the cent, so the share is never short."))
