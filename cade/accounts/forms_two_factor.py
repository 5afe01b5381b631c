"""Forms of the second factor and of re-authentication (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from cade.accounts.passwords import MAX_LENGTH

CODE_HINT = _l("The 6 digits your authenticator app shows now, or one of your recovery codes.")


def _code_field(label=None, description=CODE_HINT):
    # type=text with inputmode: a recovery code has letters, and a number field would drop leading zeros.
    return StringField(label or _l("Sign-in code"), validators=[DataRequired(), Length(max=40)], description=description,
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
                                  "autocapitalize": "off", "size": 12})


class SignInCodeForm(FlaskForm):
    """The second step of signing in."""

    code = _code_field()
    remember = BooleanField(_l("Do not ask for a code on this device for %(days)d days", days=30))


class EnrolForm(FlaskForm):
    """The first code from the app, proving it holds the secret shown."""

    code = _code_field(_l("Code from your app"), _l("The 6 digits your app shows for this account."))


class _Reauthentication(FlaskForm):
    """The password again, and the code where the person uses a second factor (views drop `code` otherwise)."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    code = _code_field()


class ReauthForm(_Reauthentication):
    """Re-authentication riding along with the form it protects, its fields prefixed ("reauth-password"): the
    protected form's own CSRF token covers the request."""

    class Meta:
        csrf = False


class ConfirmForm(_Reauthentication):
    """Re-authentication on a page of its own, before a page (not a form) that needs it."""

    next = HiddenField()
