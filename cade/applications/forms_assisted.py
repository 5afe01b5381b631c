"""Forms of the assisted applications' admin pages (shape only: cade/applications/assisted.py cleans and decides)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from cade.applications.assisted import CONSENT_NOTE_MAX
from cade.applications.constants import CONSENT_METHOD_LABELS
from cade.core.forms import select_choices


class OrganisationSearchForm(Form):
    """The search of the start page, sent with GET (no CSRF token: it changes nothing)."""

    q = StringField(_l("Organisation's name or acronym"), validators=[Optional(), Length(max=100)],
                    render_kw={"autocomplete": "off", "spellcheck": "false"},
                    description=_l("Part of the name is enough. The organisation must be registered."))


class StartAssistedForm(FlaskForm):
    organisation_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ConsentForm(FlaskForm):
    method = RadioField(_l("How did the organisation give its consent?"), validators=[InputRequired(
        message=_l("Choose how the organisation gave its consent."))],
        choices=select_choices(CONSENT_METHOD_LABELS.items()))
    given_by = StringField(_l("Who gave it"), validators=[InputRequired(), Length(max=200)],
                           description=_l("The name and role of the person at the organisation."))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=CONSENT_NOTE_MAX)],
                         description=_l("When it was given and what was agreed; for a signed form, where the paper "
                                        "is kept."))
