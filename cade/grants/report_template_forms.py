"""The form of a call's report schedule (shape checks only; the rules are in cade/grants/report_templates.py)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from cade.grants.report_templates import MAX_DAYS


class ReportScheduleForm(FlaskForm):
    interim = BooleanField(_l("Grantees write an interim report"))
    interim_days = IntegerField(_l("Interim report due (days after acceptance)"),
                                validators=[Optional(), NumberRange(min=0, max=MAX_DAYS)],
                                description=_l("Only used when grantees write an interim report."))
    final_days = IntegerField(_l("Final report due (days after acceptance)"),
                              validators=[InputRequired(), NumberRange(min=0, max=MAX_DAYS)])
