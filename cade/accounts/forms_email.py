"""The form that asks for a new e-mail address (shape only: EmailChangeInput in services/email_change.py cleans it)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from cade.accounts.passwords import MAX_LENGTH

# The profile page holds several forms: the prefix keeps this one's field ids (email-new_email…) apart.
EMAIL_PREFIX = "email"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ChangeEmailForm(FlaskForm):
    # The address's shape is the service's to judge (core's cleaner), with its one message.
    new_email = EmailField(_l("New e-mail address"), validators=[DataRequired(), Length(max=254)], filters=[_strip],
                           render_kw={"autocomplete": "email", "spellcheck": "false"},
                           description=_l("We will send a link to this address. Your address changes once you "
                                          "follow it."))
    password = PasswordField(_l("Your current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"},
                             description=_l("To show that it is you changing the address."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", EMAIL_PREFIX)
        super().__init__(*args, **kwargs)


class ConfirmEmailChangeForm(FlaskForm):
    """The confirmation button of a change-of-address link: a form, so that a mail scanner opening the link
    changes nothing, and so that it carries a CSRF token."""
