"""The administrators' page of exchange rates: the rates recorded, and a form to add one.

Its routes live on the core blueprint (imported at the end of cade/core/views.py),
as the rates themselves live in core.
"""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length

from cade.core import rates
from cade.core.errors import DomainError
from cade.core.forms import LocalDecimalField, current_actor, save_form
from cade.core.permissions import admin_required
from cade.core.views import bp


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class ExchangeRateForm(FlaskForm):
    """Shape checks only: ExchangeRateInput checks the currencies and the rate."""

    from_currency = StringField(_l("From currency"), validators=[InputRequired(), Length(min=3, max=3)],
                                filters=[_upper], description=_l("ISO 4217 code such as EUR."))
    to_currency = StringField(_l("To currency"), validators=[InputRequired(), Length(min=3, max=3)],
                              filters=[_upper], description=_l("ISO 4217 code such as USD."))
    rate = LocalDecimalField(_l("Rate"), places=None, validators=[InputRequired()],
                             description=_l("How many units of the second currency one unit of the first buys."))
    rate_date = DateField(_l("Applies from"), validators=[InputRequired()],
                          description=_l("It applies from this day until a later rate of the same pair."))
    source = StringField(_l("Source"), validators=[InputRequired(), Length(max=200)],
                         filters=[lambda value: value.strip() if isinstance(value, str) else value],
                         description=_l("Where the rate comes from, such as “ECB reference rate”."))


@bp.route("/admin/exchange-rates", methods=["GET", "POST"])
@admin_required
def exchange_rates():
    form = ExchangeRateForm()
    if form.validate_on_submit() and save_form(
            form, lambda: rates.add_exchange_rate(current_actor(), rates.ExchangeRateInput.from_input(form.data)),
            _("Exchange rate added."), refusal=DomainError):
        return redirect(url_for(".exchange_rates"))
    page = rates.exchange_rates_page(request.args.get("page", 1, type=int))
    return render_template("core/exchange_rates.html", form=form, page=page)
