"""The erasure forms: the current password and a tick (shape only; ErasureInput says what the tick must be)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from cade.accounts.passwords import MAX_LENGTH


class _ErasureForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             description=_l("Asked again to be sure it is you."),
                             render_kw={"autocomplete": "current-password"})


class EraseAccountForm(_ErasureForm):
    understood = BooleanField(_l("I understand that my account is erased for good and cannot be restored"))


class EraseOrganisationForm(_ErasureForm):
    understood = BooleanField(_l("I understand that the organisation's profile is erased for good and cannot be "
                                 "restored"))


class ExportForm(FlaskForm):
    """Only the CSRF token: the download is a POST, so another site cannot make a browser fetch it."""
