"""The indicator form (shape only: IndicatorInput cleans it and the service checks the programme's codes)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField


class IndicatorForm(FlaskForm):
    code = StringField(_l("Code"), description=_l(
        "Lower-case letters and digits joined by hyphens, such as people-connected. Exports use it; it cannot "
        "change once a report has given a value."))
    label = StringField(_l("Indicator"), description=_l("What grantees report, such as “People connected”."))
    unit = StringField(_l("Unit"), description=_l("What is counted, such as people, sites or networks."))
    evidence_required = BooleanField(_l("Grantees must give evidence with each value"))
