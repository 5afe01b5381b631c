"""The form that makes a personal API token (shape only: TokenInput in cade/accounts/api_tokens.py cleans it)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from cade.accounts.api_tokens import ADMIN_SCOPE, DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS
from cade.accounts.passwords import MAX_LENGTH
from cade.core.forms import MultiCheckboxField, select_choices

# The profile page holds several forms: the prefix keeps this one's field ids (token-name…) apart.
TOKEN_PREFIX = "token"
SCOPE_LABELS = {
    "read": _l("read: the open calls, and your own organisations' applications"),
    ADMIN_SCOPE: _l("admin-read: funding summaries and report runs (administrators only)"),
}


class Required:
    """Marks a field required (the label's asterisk); TokenInput says when it is missing, with every other error."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Name of the token"), validators=[Required()], render_kw={"maxlength": 100,
                                                                                   "autocomplete": "off"},
                       description=_l("What it is for, such as “monthly report script”: you will see it in the list."))
    # What was posted is checked by TokenInput, with the name and the expiry, all at once.
    # (No `required` flag: it would mark every check box required, though one is enough.)
    scopes = MultiCheckboxField(_l("What the token may read"), choices=[], validate_choice=False)
    expires_in_days = StringField(_l("Days until it expires"),
                                  render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 4},
                                  description=_l("From 1 to %(n)d days; %(default)d when left empty.",
                                                  n=MAX_EXPIRY_DAYS, default=DEFAULT_EXPIRY_DAYS))
    password = PasswordField(_l("Your current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"},
                             description=_l("To show that it is you making the token."))

    def __init__(self, *args, admin: bool = False, **kwargs):
        kwargs.setdefault("prefix", TOKEN_PREFIX)
        kwargs.setdefault("data", {"scopes": ["read"], "expires_in_days": str(DEFAULT_EXPIRY_DAYS)})
        super().__init__(*args, **kwargs)
        offered = [scope for scope in SCOPE_LABELS if admin or scope != ADMIN_SCOPE]
        self.scopes.choices = select_choices((scope, SCOPE_LABELS[scope]) for scope in offered)
