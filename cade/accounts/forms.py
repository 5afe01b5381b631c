"""Sign-up, sign-in, reset and profile forms (shape checks only; the services hold the rules)."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from cade.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from cade.accounts.timezones import COMMON_ZONES, DEFAULT_ZONE, zone_label
from cade.core.templating import language_name
from cade.core.timeutil import timezone_names

PASSWORD_HINT = _l("At least %(n)d characters. A few unrelated words make a good password.", n=MIN_LENGTH)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field():
    return EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip],
                      render_kw={"autocomplete": "email", "spellcheck": "false"})


def _new_password(label):
    return PasswordField(label, validators=[DataRequired(), Length(max=MAX_LENGTH)], description=PASSWORD_HINT,
                         render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH})


class ZoneField(SelectField):
    """A time-zone list whose zones may appear twice (common ones first, then every zone): the chosen
    zone is marked selected once, where it first appears."""

    def iter_groups(self):
        marked = False
        for name, group in super().iter_groups():
            choices = []
            for choice in group:
                choices.append(choice._replace(selected=choice.selected and not marked))
                marked = marked or choice.selected
            yield name, choices


def zone_choices() -> list[SelectChoice]:
    common, every = _("Common time zones"), _("All time zones")
    return ([SelectChoice(name, zone_label(name), optgroup=common) for name in COMMON_ZONES]
            + [SelectChoice(name, zone_label(name), optgroup=every) for name in timezone_names()])


class _ProfileFields(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    locale = SelectField(_l("Preferred language"), description=_l("E-mails and pages will use this language."))
    timezone = ZoneField(_l("Time zone"), default=DEFAULT_ZONE,
                           description=_l("Deadlines and dates are shown in this time zone."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The languages the site is translated into, each named in itself.
        self.locale.choices = [SelectChoice(code, language_name(code)) for code in current_app.config["LANGUAGES"]]
        self.timezone.choices = zone_choices()


class RegisterForm(_ProfileFields):
    email = _email_field()
    password = _new_password(_l("Password"))
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})
    # The page to come back to once the address is confirmed (an invitation); checked by the service.
    next = HiddenField()


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class EmailForm(FlaskForm):
    email = _email_field()


class ResendVerificationForm(EmailForm):
    next = HiddenField()


class ResetPasswordForm(FlaskForm):
    password = _new_password(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})


class ProfileForm(_ProfileFields):
    pass


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = _new_password(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("new_password", message=_l("The passwords do not match."))],
                            render_kw={"autocomplete": "new-password"})
