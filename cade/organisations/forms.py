"""Forms for organisation profiles, invitations and member roles (shape checks only)."""

from babel import Locale
from babel.numbers import get_currency_name
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from cade.core.countries import country_choices, is_country
from cade.core.db import utcnow
from cade.core.forms import LocalDecimalField, MultiCheckboxField, select_choices
from cade.core.money import COMMON_CURRENCIES, from_minor
from cade.organisations.constants import (
    FOCUS_AREA_LABELS,
    MEMBERSHIP_ROLE_LABELS,
    ORGANISATION_TYPE_LABELS,
    STAFF_BAND_LABELS,
    STAKEHOLDER_GROUP_LABELS,
    WORKING_LANGUAGES,
)
from cade.organisations.services import EARLIEST_YEAR_FOUNDED, MAX_LENGTHS
from cade.organisations.services.profiles import is_web_address


def _locale() -> Locale:
    try:
        return Locale.parse(str(get_locale() or "en"))
    except (ValueError, TypeError):
        return Locale("en")


def language_choices() -> list[tuple[str, str]]:
    """Working languages named in the reader's language, sorted by that name."""
    locale = _locale()
    pairs = [(code, Locale.parse(code).get_display_name(locale) or code) for code in WORKING_LANGUAGES]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def currency_choices() -> list[tuple[str, str]]:
    locale = _locale()
    return [("", "—")] + [(c, f"{c} — {get_currency_name(c, locale=locale)}") for c in COMMON_CURRENCIES]


def _valid_country(form, field):
    if field.data and not is_country(field.data):
        raise ValidationError(_l("Choose a country from the list."))


def _http_url(form, field):
    if not field.data:
        return
    if not is_web_address(field.data.strip()):
        raise ValidationError(_l("Enter a web address starting with http:// or https://"))


def _year_in_range(form, field):
    if field.data is None:
        return
    last = utcnow().year
    if not EARLIEST_YEAR_FOUNDED <= field.data <= last:
        raise ValidationError(_l("Enter a year between %(first)d and %(last)d.",
                                 first=EARLIEST_YEAR_FOUNDED, last=last))


def _zero_or_more(form, field):
    # An amount that could not be read has its message already; one message is enough.
    if field.data is not None and field.data < 0:
        raise ValidationError(_l("Enter an amount of zero or more."))


def _blank(label):
    return [("", label)]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the organisation"),
                       validators=[DataRequired(), Length(max=MAX_LENGTHS["name"])])
    acronym = StringField(_l("Acronym or short name"),
                          validators=[Optional(), Length(max=MAX_LENGTHS["acronym"])])
    country = SelectField(_l("Country"), validators=[DataRequired(), _valid_country],
                          description=_l("Where the organisation is based. Its region follows from the country."))
    city = StringField(_l("City or town"), validators=[Optional(), Length(max=MAX_LENGTHS["city"])])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=MAX_LENGTHS["website"]), _http_url],
                       description=_l("For example https://example.org"))
    description = TextAreaField(_l("What the organisation does"),
                                validators=[Optional(), Length(max=MAX_LENGTHS["description"])])
    organisation_type = SelectField(
        _l("Type of organisation"), validators=[DataRequired()],
        choices=select_choices(_blank(_l("Choose…")) + list(ORGANISATION_TYPE_LABELS.items())))
    stakeholder_group = SelectField(
        _l("Stakeholder group"), validators=[DataRequired()],
        choices=select_choices(_blank(_l("Choose…")) + list(STAKEHOLDER_GROUP_LABELS.items())))
    year_founded = IntegerField(_l("Year founded"), validators=[Optional(), _year_in_range])
    staff_band = SelectField(
        _l("Paid staff"), validators=[Optional()],
        choices=select_choices(_blank(_l("Prefer not to say")) + list(STAFF_BAND_LABELS.items())))
    annual_budget_amount = LocalDecimalField(
        _l("Annual budget"), places=None, validators=[Optional(), _zero_or_more],
        description=_l("Last year's total spending, as a number such as 25000.50"))
    annual_budget_currency = SelectField(_l("Currency of the annual budget"), validators=[Optional()])
    focus_areas = MultiCheckboxField(
        _l("Focus areas"), choices=select_choices(FOCUS_AREA_LABELS.items()))
    languages = MultiCheckboxField(_l("Working languages"))
    registration_number = StringField(
        _l("Registration number"), validators=[Optional(), Length(max=MAX_LENGTHS["registration_number"])],
        description=_l("Leave empty if the organisation is not registered, for example an informal group."))
    at_risk = BooleanField(
        _l("We work where being known as foreign-funded puts us at risk"),
        description=_l("Tick this box if it is dangerous for your organisation to be known as receiving foreign "
                       "funding. We then never name it in open data or on public pages, even with the consent "
                       "below (the consent is withdrawn); the subjects of our e-mails to your members name "
                       "neither us nor grants; and reviewers of blind calls see nothing of it but your answers. "
                       "Only owners can change this."))
    publish_consent = BooleanField(
        _l("The organisation may be named in published open data"),
        description=_l("Funders publish the grants they make as open data. Tick this box if your "
                       "organisation's name may appear there. If you leave it empty, any grant is "
                       "published only as going to an anonymous organisation in your region."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request: the names are in the reader's language.
        self.country.choices = select_choices(_blank(_l("Choose a country…")) + country_choices(_locale()))
        self.annual_budget_currency.choices = select_choices(currency_choices())
        self.languages.choices = select_choices(language_choices())

    def validate_annual_budget_currency(self, field):
        if self.annual_budget_amount.data is not None and not field.data:
            raise ValidationError(_l("Choose the currency of the budget."))


def organisation_form_data(org) -> dict:
    """An organisation's profile as the form's initial values."""
    amount = None
    if org.annual_budget_minor is not None and org.annual_budget_currency:
        amount = from_minor(org.annual_budget_minor, org.annual_budget_currency)
    return {
        "name": org.name, "acronym": org.acronym, "country": org.country, "city": org.city,
        "website": org.website, "description": org.description,
        "organisation_type": org.organisation_type, "stakeholder_group": org.stakeholder_group,
        "year_founded": org.year_founded, "staff_band": org.staff_band or "",
        "annual_budget_amount": amount, "annual_budget_currency": org.annual_budget_currency or "",
        "focus_areas": list(org.focus_areas or []), "languages": list(org.languages or []),
        "registration_number": org.registration_number, "publish_consent": org.publish_consent,
        "at_risk": org.at_risk,
    }


def _role_choices():
    return select_choices(MEMBERSHIP_ROLE_LABELS.items())


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=_role_choices(), default="member",
                       description=_l("Owners can edit the profile and manage members; "
                                      "members can see the organisation and apply on its behalf."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices())


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""
