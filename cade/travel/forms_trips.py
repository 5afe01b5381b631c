"""The trip form of a travel application (shape only: TripInput cleans it, save_trip checks the rules)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField

from cade.core.countries import country_choices
from cade.core.forms import select_choices
from cade.travel.constants import COST_CATEGORY_LABELS, TRAVELLER_ROLE_LABELS, CostCategory
from cade.travel.trips import TYPED_CATEGORIES, estimate_field


class TripForm(FlaskForm):
    event_id = SelectField(_l("Event"))
    traveller_user_id = SelectField(_l("Traveller"), description=_l(
        "A member of your organisation, or someone else you name below (only an owner may name someone else)."))
    traveller_name = StringField(_l("Name of the person travelling"))
    traveller_email = StringField(_l("Their e-mail address"))
    consent = BooleanField(_l("This person agreed to be named and contacted"))
    role = RadioField(_l("Role at the event"), choices=select_choices(TRAVELLER_ROLE_LABELS.items()),
                      validate_choice=False)
    origin_city = StringField(_l("City the traveller leaves from"))
    origin_country = SelectField(_l("Country the traveller leaves from"))
    departs_on = StringField(_l("Departure date"), description=_l("For example 2026-07-05."))
    returns_on = StringField(_l("Return date"), description=_l("For example 2026-07-12."))
    wants_visa_letter = BooleanField(_l("The traveller needs a visa support letter"))
    passport_country = SelectField(_l("Passport country"), description=_l(
        "Only for the visa letter; shown to your organisation and administrators, never to reviewers."))
    gender = StringField(_l("Gender (optional, in your own words)"), description=_l(
        "Why we ask: to count whom the fund brings to events. You may leave it blank; reviewers never see it."))
    first_time = RadioField(_l("Is this the traveller's first time at such an event? (optional)"),
                            choices=select_choices([("yes", _l("Yes")), ("no", _l("No")), ("", _l("Not saying"))]),
                            validate_choice=False)
    estimate_airfare = StringField(COST_CATEGORY_LABELS[CostCategory.AIRFARE])
    estimate_accommodation = StringField(COST_CATEGORY_LABELS[CostCategory.ACCOMMODATION])
    estimate_visa = StringField(COST_CATEGORY_LABELS[CostCategory.VISA])
    estimate_local_transport = StringField(COST_CATEGORY_LABELS[CostCategory.LOCAL_TRANSPORT])
    estimate_other = StringField(COST_CATEGORY_LABELS[CostCategory.OTHER])

    def set_choices(self, events, members) -> None:
        """The call's events, the organisation's members (users) and the countries, in the reader's language."""
        self.event_id.choices = select_choices([("", _l("Choose the event"))] + [(e.id, e.name) for e in events])
        self.traveller_user_id.choices = select_choices([("", _l("Someone who is not a member (name them below)"))]
                                                        + [(user.id, user.name) for user in members])
        countries = select_choices([("", _l("Choose a country"))] + country_choices())
        self.origin_country.choices = countries
        self.passport_country.choices = countries

    def estimate_fields(self, caps: dict[str, int]):
        """(category, field) for each typed category the call covers, in the categories' order."""
        return [(str(category), self[estimate_field(category)]) for category in TYPED_CATEGORIES
                if str(category) in caps]


def trip_values(trip) -> dict:
    """The saved trip as the form shows it."""
    if trip is None:
        return {}
    values = {"event_id": str(trip.event_id or ""), "traveller_user_id": str(trip.traveller_user_id or ""),
              "traveller_name": trip.traveller_name or "", "traveller_email": trip.traveller_email or "",
              "consent": trip.consent_at is not None, "role": trip.role or "",
              "origin_city": trip.origin_city or "", "origin_country": trip.origin_country or "",
              "departs_on": trip.departs_on.isoformat() if trip.departs_on else "",
              "returns_on": trip.returns_on.isoformat() if trip.returns_on else "",
              "wants_visa_letter": bool(trip.wants_visa_letter), "passport_country": trip.passport_country or "",
              "gender": trip.gender or "",
              "first_time": {True: "yes", False: "no"}.get(trip.first_time, "")}
    return values
