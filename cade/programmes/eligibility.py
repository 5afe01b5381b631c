"""The eligibility rules a call can set on the organisation's own profile, registered from cade/wiring.py.

Programmes owns these six rules because it owns everything they are made of
but the organisation: the call's settings (six columns on `calls`), the admin
form fields, their cleaning and the sentences of the call page. The
organisation is only read through its public attributes (country, type,
stakeholder group, annual budget). A rule that reads another domain's records
(a training certificate, an overdue grantee report) belongs to that domain and
is registered beside these.

The entries of one rule combine with OR (a call for "LDC or SIDS" admits a
country on either list), the rules with AND.

Each rule also says what a refused organisation can do (`remedies`): correct
the part of its profile the rule read, if that is wrong, or look at the other
calls open now, since none of these rules bends for one organisation.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.validators import Optional

from cade.core import countries
from cade.core.commands import Amount, Codes
from cade.core.countries import COUNTRY_LISTS, country_name, get_country, region_name
from cade.core.forms import LocalDecimalField, MultiCheckboxField, select_choices
from cade.core.money import format_money, from_minor
from cade.core.rules import Remedy, Rule
from cade.organisations.constants import (
    ORGANISATION_TYPE_LABELS,
    STAKEHOLDER_GROUP_LABELS,
    OrganisationType,
    StakeholderGroup,
)


def _join(items, separator: str = ", ") -> str:
    return separator.join(str(item) for item in items)


def _where(organisation) -> str:
    return country_name(organisation.country) or organisation.country or "?"


def other_calls() -> Remedy:
    """The way out of any rule: the calls open now (the public list) may have rules that fit."""
    return Remedy(_("Other calls may be open to your organisation."), _("See the calls open now"),
                  "programmes.index")


def correct_profile(organisation, text) -> Remedy:
    """Change the organisation's profile (owners only), when what the rule read there is wrong or missing."""
    return Remedy(str(text), _("Edit the organisation's profile"), "organisations.edit",
                  {"organisation_id": organisation.id}, profile=True)


class ListRule(Rule):
    """A rule whose setting is a list of codes on the call; an empty list restricts nothing."""

    label = ""
    description = None
    checkboxes = False
    upper = False
    intro = ""
    separator = ", "
    profile_hint = _l("If the profile gives the wrong country, correct it.")

    def __init__(self, key: str, column: str):
        self.key, self.field_name, self.columns = key, column, (column,)

    def choices(self):
        raise NotImplementedError

    def allowed(self, code: str) -> bool:
        return code in {value for value, _label in self.choices()}

    def name_of(self, code: str) -> str:
        return dict(self.choices()).get(code, code)

    def form_field(self, currency):
        if self.checkboxes:
            return MultiCheckboxField(self.label, choices=select_choices(self.choices()))
        return SelectMultipleField(self.label, description=self.description, render_kw={"size": 8},
                                   choices=select_choices(self.choices()))

    def codes(self, call) -> list[str]:
        return list(getattr(call, self.field_name) or [])

    def form_value(self, call):
        return self.codes(call)

    @property
    def cleaner(self):
        return Codes(self.allowed, upper=self.upper)

    def is_set(self, call) -> bool:
        return bool(self.codes(call))

    def sentence(self, call) -> str:
        return f"{self.intro} {_join((self.name_of(code) for code in self.codes(call)), self.separator)}"

    def remedies(self, call, organisation):
        if not self.check(call, organisation):
            return []
        return [correct_profile(organisation, self.profile_hint), other_calls()]


class CountriesRule(ListRule):
    label = _l("Eligible countries")
    description = _l("Leave empty for no restriction by country.")
    upper = True

    @property
    def intro(self):
        return _("Organisations based in one of these countries:")

    def choices(self):
        return countries.country_choices()

    def allowed(self, code):
        return countries.is_country(code)

    def name_of(self, code):
        return country_name(code)

    def check(self, call, organisation):
        codes = self.codes(call)
        if not codes or organisation.country in codes:
            return []
        return [_("This call is open only to organisations based in %(countries)s; %(country)s is not one of them.",
                  countries=_join(country_name(code) for code in codes), country=_where(organisation))]


class CountryListsRule(ListRule):
    label = _l("Eligible country lists")
    checkboxes = True
    upper = True
    separator = "; "

    @property
    def intro(self):
        return _("Organisations based in a country on one of these lists:")

    def choices(self):
        return COUNTRY_LISTS.items()

    def allowed(self, code):
        return code in COUNTRY_LISTS

    def name_of(self, code):
        return COUNTRY_LISTS.get(code, code)

    def check(self, call, organisation):
        names = self.codes(call)
        country = get_country(organisation.country)
        if not names or set(names) & (country.lists if country else frozenset()):
            return []
        return [_("This call is open only to organisations based in: %(lists)s. %(country)s is not on these lists.",
                  lists=_join(COUNTRY_LISTS.get(name, name) for name in names), country=_where(organisation))]


class RegionsRule(ListRule):
    label = _l("Eligible regions")
    description = _l("Leave empty for no restriction by region.")

    @property
    def intro(self):
        return _("Organisations based in one of these regions:")

    def choices(self):
        return countries.region_choices()

    def name_of(self, code):
        return region_name(code)

    def check(self, call, organisation):
        codes = self.codes(call)
        country = get_country(organisation.country)
        # A region rule names a continent, a sub-region or an intermediate region alike.
        regions = ({country.region_code, country.subregion_code, country.intermediate_code} - {""}
                   if country else set())
        if not codes or set(codes) & regions:
            return []
        return [_("This call is open only to organisations based in %(regions)s; %(country)s is not in these regions.",
                  regions=_join(region_name(code) for code in codes), country=_where(organisation))]


class OrganisationTypesRule(ListRule):
    label = _l("Eligible organisation types")
    checkboxes = True
    profile_hint = _l("If the profile gives the wrong type of organisation, correct it.")

    @property
    def intro(self):
        return _("Types of organisation:")

    def choices(self):
        return ORGANISATION_TYPE_LABELS.items()

    def allowed(self, code):
        return code in set(OrganisationType)

    def name_of(self, code):
        return ORGANISATION_TYPE_LABELS.get(code, code)

    def check(self, call, organisation):
        types = self.codes(call)
        if not types or organisation.organisation_type in types:
            return []
        return [_("This call is not open to organisations of the type “%(type)s”. It is open to: %(types)s.",
                  type=self.name_of(organisation.organisation_type), types=_join(self.name_of(t) for t in types))]


class StakeholderGroupsRule(ListRule):
    label = _l("Eligible stakeholder groups")
    checkboxes = True
    profile_hint = _l("If the profile gives the wrong stakeholder group, correct it.")

    @property
    def intro(self):
        return _("Stakeholder groups:")

    def choices(self):
        return STAKEHOLDER_GROUP_LABELS.items()

    def allowed(self, code):
        return code in set(StakeholderGroup)

    def name_of(self, code):
        return STAKEHOLDER_GROUP_LABELS.get(code, code)

    def check(self, call, organisation):
        groups = self.codes(call)
        if not groups or organisation.stakeholder_group in groups:
            return []
        return [_("This call is not open to the stakeholder group “%(group)s”. It is open to: %(groups)s.",
                  group=self.name_of(organisation.stakeholder_group), groups=_join(self.name_of(g) for g in groups))]


class MaxAnnualBudgetRule(Rule):
    """At most this annual budget, in the call's currency.

    A budget the profile does not state, or states in another currency, is a
    note and not a reason: comparing currencies needs a dated exchange rate,
    so the programme team checks by hand rather than turning the applicant away.
    """

    key = "max_annual_budget"
    field_name = "max_annual_budget"
    columns = ("max_annual_budget_minor",)
    cleaner = Amount(required=False)

    def form_field(self, currency):
        description = (_l("In %(currency)s; leave empty for no limit.", currency=currency) if currency
                       else _l("Leave empty for no limit."))
        return LocalDecimalField(_l("Maximum annual budget of the organisation"), places=None,
                                 validators=[Optional()], description=description,
                                 render_kw={"inputmode": "decimal"})

    def form_value(self, call):
        limit = call.max_annual_budget_minor
        return None if limit is None else from_minor(limit, call.currency)

    def is_set(self, call) -> bool:
        return call.max_annual_budget_minor is not None

    def sentence(self, call) -> str:
        return _("Annual budget of at most %(amount)s.", amount=format_money(call.max_annual_budget_minor,
                                                                             call.currency))

    def _compare(self, call, organisation) -> tuple[list, list]:
        limit = call.max_annual_budget_minor
        if limit is None:
            return [], []
        currency = call.currency
        budget, budget_currency = organisation.annual_budget_minor, organisation.annual_budget_currency
        if budget is None or not budget_currency:
            return [], [_(
                "This call is for organisations with an annual budget of at most %(limit)s. "
                "Your organisation's profile does not state its budget; the programme team may ask for it.",
                limit=format_money(limit, currency))]
        if budget_currency.upper() != currency.upper():
            return [], [_(
                "This call is for organisations with an annual budget of at most %(limit)s. Your budget "
                "(%(budget)s) is in another currency, so the programme team will check it.",
                limit=format_money(limit, currency), budget=format_money(budget, budget_currency))]
        if budget > limit:
            return [_("Your organisation's annual budget (%(budget)s) is above this call's maximum of %(limit)s.",
                      budget=format_money(budget, budget_currency), limit=format_money(limit, currency))], []
        return [], []

    def check(self, call, organisation):
        return self._compare(call, organisation)[0]

    def notes(self, call, organisation):
        return self._compare(call, organisation)[1]

    def remedies(self, call, organisation):
        reasons, notes = self._compare(call, organisation)
        if reasons:
            return [correct_profile(organisation, _("If the annual budget in the profile is out of date, "
                                                    "update it.")), other_calls()]
        if notes and (organisation.annual_budget_minor is None or not organisation.annual_budget_currency):
            return [correct_profile(organisation, _("Add the annual budget to the profile, so that the "
                                                    "programme team need not ask for it."))]
        return []  # a budget in another currency: the programme team checks it, nothing to do


def call_rules() -> list[Rule]:
    """Today's rules, in the order the call page and the admin form show them."""
    return [
        CountriesRule("countries", "eligible_countries"),
        CountryListsRule("country_lists", "eligible_country_lists"),
        RegionsRule("regions", "eligible_regions"),
        OrganisationTypesRule("organisation_types", "eligible_organisation_types"),
        StakeholderGroupsRule("stakeholder_groups", "eligible_stakeholder_groups"),
        MaxAnnualBudgetRule(),
    ]
