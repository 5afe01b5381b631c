"""The forms of the roles page: the search (GET) and the change of one person's role (shape only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from cade.core.forms import select_choices
from cade.core.permissions import ROLE_LABELS, ROLES

GRANT, REVOKE = "grant", "revoke"


class StaffSearchForm(Form):
    """The search of the roles page, sent with GET (no CSRF token: it changes nothing)."""

    q = StringField(_l("E-mail address or name"), validators=[Optional(), Length(max=100)],
                    render_kw={"autocomplete": "off", "spellcheck": "false"},
                    description=_l("Part of it is enough. Without a search, the people who hold a role are listed."))


class RoleChangeForm(FlaskForm):
    """One person's role to give or take: the role chosen, and which of the two buttons was pressed."""

    role = SelectField(_l("Role"), choices=select_choices((role, ROLE_LABELS[role]) for role in ROLES),
                       validators=[DataRequired()])
    change = RadioField(choices=select_choices([(GRANT, GRANT), (REVOKE, REVOKE)]), validators=[DataRequired()])
