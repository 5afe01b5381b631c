"""Eligibility: each rule of a call against an organisation's profile."""

import pytest

from cade.applications.eligibility import assess_eligibility, check_eligibility
from tests.factories import CallFactory, OrganisationFactory

@pytest.fixture()
def kenya_ngo(db):
    return OrganisationFactory(country="KE", organisation_type="ngo", stakeholder_group="civil_society",
                               annual_budget_minor=50_000_00, annual_budget_currency="USD")


def test_call_without_rules_admits_everyone(kenya_ngo):
    assert check_eligibility(CallFactory(), kenya_ngo) == []


def test_country_rule_names_the_country(kenya_ngo):
    assert check_eligibility(CallFactory(eligible_countries=["KE", "UG"]), kenya_ngo) == []
    reasons = check_eligibility(CallFactory(eligible_countries=["UG", "TZ"]), kenya_ngo)
    assert len(reasons) == 1
    assert "Kenya" in reasons[0] and "Uganda" in reasons[0]


def test_country_list_rule_uses_the_un_lists(db):
    call = CallFactory(eligible_country_lists=["LDC"])
    assert check_eligibility(call, OrganisationFactory(country="UG")) == []  # Uganda is an LDC
    reasons = check_eligibility(call, OrganisationFactory(country="KE"))
    assert "Least developed countries" in reasons[0] and "Kenya" in reasons[0]
    assert check_eligibility(CallFactory(eligible_country_lists=["LDC", "SIDS"]),
                             OrganisationFactory(country="FJ")) == []  # Fiji: SIDS


def test_region_rule_accepts_region_subregion_and_intermediate_codes(kenya_ngo):
    assert check_eligibility(CallFactory(eligible_regions=["002"]), kenya_ngo) == []  # Africa
    assert check_eligibility(CallFactory(eligible_regions=["014"]), kenya_ngo) == []  # Eastern Africa
    assert check_eligibility(CallFactory(eligible_regions=["202"]), kenya_ngo) == []  # Sub-Saharan
    reasons = check_eligibility(CallFactory(eligible_regions=["142"]), kenya_ngo)  # Asia
    assert "Asia" in reasons[0] and "Kenya" in reasons[0]


def test_rules_combine_with_and(db):
    call = CallFactory(eligible_regions=["002"], eligible_country_lists=["LDC"])
    assert check_eligibility(call, OrganisationFactory(country="UG")) == []
    assert len(check_eligibility(call, OrganisationFactory(country="KE"))) == 1  # African, not LDC
    assert len(check_eligibility(call, OrganisationFactory(country="NP"))) == 1  # LDC, not African


def test_organisation_type_rule(kenya_ngo):
    assert check_eligibility(CallFactory(eligible_organisation_types=["ngo"]), kenya_ngo) == []
    reasons = check_eligibility(CallFactory(eligible_organisation_types=["community_network"]), kenya_ngo)
    assert "Non-governmental organisation" in reasons[0] and "Community network" in reasons[0]


def test_stakeholder_group_rule(kenya_ngo):
    assert check_eligibility(CallFactory(eligible_stakeholder_groups=["civil_society"]), kenya_ngo) == []
    reasons = check_eligibility(CallFactory(eligible_stakeholder_groups=["academia"]), kenya_ngo)
    assert "Civil society" in reasons[0] and "Academia" in reasons[0]


def test_budget_cap_in_the_same_currency_blocks(kenya_ngo):
    assert check_eligibility(CallFactory(max_annual_budget_minor=50_000_00), kenya_ngo) == []
    reasons = check_eligibility(CallFactory(max_annual_budget_minor=49_999_99), kenya_ngo)
    assert "$50,000.00" in reasons[0] and "$49,999.99" in reasons[0]


def test_budget_in_another_currency_is_a_note_not_a_block(db):
    org = OrganisationFactory(annual_budget_minor=900_000_000, annual_budget_currency="KES")
    result = assess_eligibility(CallFactory(max_annual_budget_minor=10_000_00), org)
    assert result.eligible
    assert len(result.notes) == 1 and "KES" in result.notes[0]


def test_unknown_budget_is_a_note(db):
    org = OrganisationFactory(annual_budget_minor=None, annual_budget_currency=None)
    result = assess_eligibility(CallFactory(max_annual_budget_minor=10_000_00), org)
    assert result.eligible and result.notes


def test_reasons_are_in_the_readers_language(app, kenya_ngo):
    call = CallFactory(eligible_countries=["UG"])
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        reasons = check_eligibility(call, kenya_ngo)
    assert "Ouganda" in reasons[0]
