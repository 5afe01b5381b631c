"""Whether an organisation may apply to a call, with reasons in the reader's language."""

from dataclasses import dataclass, field

from flask_babel import gettext as _

from cade.core.countries import COUNTRY_LISTS, country_name, get_country, region_name
from cade.core.money import format_money
from cade.organisations.constants import ORGANISATION_TYPE_LABELS, STAKEHOLDER_GROUP_LABELS


@dataclass
class EligibilityResult:
    """`reasons` block an application; `notes` are shown but do not block."""

    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def _join(items) -> str:
    return ", ".join(str(item) for item in items)


def assess_eligibility(call, organisation) -> EligibilityResult:
    """Check every rule of `call` against `organisation`.

    An empty rule list means no restriction. Rules combine with AND, the
    entries of one rule with OR (a call for "LDC or SIDS" in "Africa" admits
    African countries on either list).
    """
    result = EligibilityResult()
    country = get_country(organisation.country)
    where = country_name(organisation.country) or organisation.country or "?"
    country_lists = country.lists if country else frozenset()
    regions = (
        {country.region_code, country.subregion_code, country.intermediate_code} - {""}
        if country else set()
    )

    if call.eligible_countries and organisation.country not in call.eligible_countries:
        result.reasons.append(_(
            "This call is open only to organisations based in %(countries)s; %(country)s is not one of them.",
            countries=_join(country_name(code) for code in call.eligible_countries), country=where))
    if call.eligible_country_lists and not (set(call.eligible_country_lists) & country_lists):
        result.reasons.append(_(
            "This call is open only to organisations based in: %(lists)s. %(country)s is not on these lists.",
            lists=_join(COUNTRY_LISTS.get(name, name) for name in call.eligible_country_lists),
            country=where))
    if call.eligible_regions and not (set(call.eligible_regions) & regions):
        result.reasons.append(_(
            "This call is open only to organisations based in %(regions)s; %(country)s is not in these regions.",
            regions=_join(region_name(code) for code in call.eligible_regions), country=where))
    if call.eligible_organisation_types and organisation.organisation_type not in call.eligible_organisation_types:
        label = ORGANISATION_TYPE_LABELS.get(organisation.organisation_type, organisation.organisation_type)
        result.reasons.append(_(
            "This call is not open to organisations of the type “%(type)s”. It is open to: %(types)s.",
            type=label,
            types=_join(ORGANISATION_TYPE_LABELS.get(t, t) for t in call.eligible_organisation_types)))
    if call.eligible_stakeholder_groups and organisation.stakeholder_group not in call.eligible_stakeholder_groups:
        label = STAKEHOLDER_GROUP_LABELS.get(organisation.stakeholder_group, organisation.stakeholder_group)
        result.reasons.append(_(
            "This call is not open to the stakeholder group “%(group)s”. It is open to: %(groups)s.",
            group=label,
            groups=_join(STAKEHOLDER_GROUP_LABELS.get(g, g) for g in call.eligible_stakeholder_groups)))
    _check_budget(call, organisation, result)
    return result


def _check_budget(call, organisation, result: EligibilityResult) -> None:
    limit = call.max_annual_budget_minor
    if limit is None:
        return
    currency = call.currency
    budget, budget_currency = organisation.annual_budget_minor, organisation.annual_budget_currency
    if budget is None or not budget_currency:
        result.notes.append(_(
            "This call is for organisations with an annual budget of at most %(limit)s. "
            "Your organisation's profile does not state its budget; the programme team may ask for it.",
            limit=format_money(limit, currency)))
    elif budget_currency.upper() != currency.upper():
        # Different currencies cannot be compared without a dated exchange rate: the team checks.
        result.notes.append(_(
            "This call is for organisations with an annual budget of at most %(limit)s. Your budget "
            "(%(budget)s) is in another currency, so the programme team will check it.",
            limit=format_money(limit, currency), budget=format_money(budget, budget_currency)))
    elif budget > limit:
        result.reasons.append(_(
            "Your organisation's annual budget (%(budget)s) is above this call's maximum of %(limit)s.",
            budget=format_money(budget, budget_currency), limit=format_money(limit, currency)))


def check_eligibility(call, organisation) -> list[str]:
    """The reasons `organisation` may not apply to `call`; an empty list means eligible."""
    return assess_eligibility(call, organisation).reasons
