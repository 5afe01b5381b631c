"""The funding summary's figures against a fixture computed by hand (and the same on SQLite and PostgreSQL).

The fixture: two programmes, one in USD and one in EUR, with a rate of
1 EUR = 1.10 USD.

    a1  Kenya (Africa)   C1 (USD)  2025-03-01  requested 20,000  award 10,000 released
    a2  Brazil (Americas) C1 (USD) 2025-03-02  requested 30,000  rejected, released
    a3  Fiji (Oceania, SIDS) C2 (EUR) 2026-02-01 requested 15,000 award 12,000 released
    a4  Kenya (Africa)   C2 (EUR)  2026-02-03  requested  5,000  award decided, not released
    a5  Brazil           C2        withdrawn: not counted
    a6  another          C2        draft: not counted
"""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.core.errors import ValidationFailed
from cade.core.rates import ExchangeRate, ExchangeRateMissing
from cade.reports.models import RepresentationTarget
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.applications.snapshots import snapshot_applicant
from tests.factories import ApplicationFactory, CallFactory, DecisionFactory, OrganisationFactory, ProgrammeFactory


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=timezone.utc)


def _submitted(organisation, call, day: str, requested: int):
    application = ApplicationFactory(organisation=organisation, call=call, submitted=True, submitted_at=_at(day),
                                     requested_amount_minor=requested)
    snapshot_applicant(application)
    return application


def _decide(application, outcome, amount=None, released=True):
    return DecisionFactory(application=application, outcome=outcome, amount_minor=amount,
                           currency=application.call.programme.currency,
                           status=DecisionStatus.RELEASED if released else DecisionStatus.DECIDED,
                           released_at=_at("2026-06-01") if released else None)


@pytest.fixture()
def fixture(db):
    usd = ProgrammeFactory(name="Capacity development", currency="USD")
    eur = ProgrammeFactory(name="Community networks", currency="EUR")
    c1 = CallFactory(programme=usd, title="Call one")
    c2 = CallFactory(programme=eur, title="Call two")
    kenya = OrganisationFactory(country="KE", stakeholder_group="civil_society", organisation_type="ngo",
                                focus_areas=["connectivity", "digital_rights"])
    brazil = OrganisationFactory(country="BR", stakeholder_group="technical_community",
                                 organisation_type="community_network", focus_areas=["connectivity"])
    fiji = OrganisationFactory(country="FJ", stakeholder_group="academia", organisation_type="academic",
                               focus_areas=["digital_security"])
    a1 = _submitted(kenya, c1, "2025-03-01", 20_000_00)
    a2 = _submitted(brazil, c1, "2025-03-02", 30_000_00)
    a3 = _submitted(fiji, c2, "2026-02-01", 15_000_00)
    a4 = _submitted(kenya, c2, "2026-02-03", 5_000_00)
    ApplicationFactory(organisation=brazil, call=c2, withdrawn=True, submitted_at=_at("2026-02-04"),
                       requested_amount_minor=99_000_00)
    ApplicationFactory(call=c2, requested_amount_minor=77_000_00)  # a draft of another organisation
    _decide(a1, DecisionOutcome.AWARD, 10_000_00)
    _decide(a2, DecisionOutcome.REJECT)
    _decide(a3, DecisionOutcome.AWARD, 12_000_00)
    _decide(a4, DecisionOutcome.AWARD, 4_000_00, released=False)
    db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=Decimal("1.10"),
                                rate_date=date(2026, 1, 1), source="ECB reference rate"))
    db.session.commit()
    return {"usd": usd, "eur": eur, "c1": c1, "c2": c2, "kenya": kenya}


def _summary(**data):
    return funding_summary(FundingSummaryInput.from_input({"currency": "USD", **data}), today=date(2026, 12, 1))


def _groups(summary, dimension):
    return {group["key"]: group for group in summary["breakdowns"][dimension]}


def test_totals_per_currency_and_converted(fixture):
    summary = _summary()

    by_currency = {row["currency"]: row for row in summary["total"]["by_currency"]}
    usd = by_currency["USD"]
    assert (usd["applications"], usd["awards"], usd["requested"], usd["awarded"]) == (2, 1, 50_000_00, 10_000_00)
    assert (usd["requested_converted"], usd["awarded_converted"]) == (50_000_00, 10_000_00)
    assert (by_currency["EUR"]["applications"], by_currency["EUR"]["awards"]) == (2, 1)
    assert (by_currency["EUR"]["requested"], by_currency["EUR"]["awarded"]) == (20_000_00, 12_000_00)
    assert (by_currency["EUR"]["requested_converted"], by_currency["EUR"]["awarded_converted"]) == (22_000_00,
                                                                                                   13_200_00)
    assert summary["total"]["converted"] == {"applications": 4, "awards": 2, "requested": 72_000_00,
                                             "awarded": 23_200_00, "disbursed": 0, "returned": 0}
    [rate] = summary["rates"]
    assert (rate["from"], rate["to"], Decimal(rate["rate"]), rate["inverted"]) == ("EUR", "USD", Decimal("1.10"), False)
    assert (rate["date"], rate["source"]) == ("2026-01-01", "ECB reference rate")


def test_breakdowns_by_region_year_programme(fixture):
    summary = _summary()

    regions = _groups(summary, "region")
    assert set(regions) == {"002", "019", "009"}
    assert regions["002"]["converted"] == {"applications": 2, "awards": 1, "requested": 20_000_00 + 5_500_00,
                                           "awarded": 10_000_00, "disbursed": 0, "returned": 0}
    assert regions["019"]["converted"] == {"applications": 1, "awards": 0, "requested": 30_000_00, "awarded": 0,
                                           "disbursed": 0, "returned": 0}
    assert regions["009"]["converted"] == {"applications": 1, "awards": 1, "requested": 16_500_00,
                                           "awarded": 13_200_00, "disbursed": 0, "returned": 0}
    years = _groups(summary, "year")
    assert list(years) == ["2025", "2026"]
    assert (years["2025"]["converted"]["applications"], years["2026"]["converted"]["applications"]) == (2, 2)
    programmes = _groups(summary, "programme")
    assert programmes[str(fixture["usd"].id)]["converted"]["awarded"] == 10_000_00
    assert programmes[str(fixture["eur"].id)]["by_currency"][0]["awarded"] == 12_000_00


def test_groups_of_organisations(fixture):
    summary = _summary()

    assert {k: g["converted"]["applications"] for k, g in _groups(summary, "stakeholder_group").items()} == {
        "civil_society": 2, "technical_community": 1, "academia": 1}
    # An application counts under each focus area of its organisation.
    assert {k: g["converted"]["applications"] for k, g in _groups(summary, "focus_area").items()} == {
        "connectivity": 3, "digital_rights": 2, "digital_security": 1}
    assert {k: g["converted"]["applications"] for k, g in _groups(summary, "first_time").items()} == {
        "first": 3, "returning": 1}
    assert {k: g["converted"]["applications"] for k, g in _groups(summary, "country_list").items()} == {
        "SIDS": 1, "none": 3}
    assert {k: g["converted"]["awards"] for k, g in _groups(summary, "country").items()} == {
        "KE": 1, "BR": 0, "FJ": 1}


def test_every_converted_total_is_the_sum_of_its_rows(fixture):
    summary = _summary()

    for dimension, groups in summary["breakdowns"].items():
        if dimension in ("focus_area", "country_list"):
            continue  # an application may count in several groups
        for measure in ("applications", "awards", "requested", "awarded"):
            assert sum(g["converted"][measure] for g in groups) == summary["total"]["converted"][measure], \
                (dimension, measure)


def test_period_and_selection(fixture):
    summary = _summary(date_from="2026-01-01", date_to="2026-12-31")
    assert summary["total"]["converted"]["applications"] == 2
    only_c1 = _summary(call_ids=[fixture["c1"].id])
    assert only_c1["total"]["converted"]["applications"] == 2
    assert only_c1["rates"] == []


def test_an_empty_selection_is_an_empty_report(fixture):
    summary = _summary(date_from="2030-01-01")
    assert summary["total"]["converted"] == {"applications": 0, "awards": 0, "requested": 0, "awarded": 0,
                                             "disbursed": 0, "returned": 0}
    assert all(groups == [] for groups in summary["breakdowns"].values())


def test_a_profile_edited_later_does_not_move_an_award(fixture, db):
    kenya = fixture["kenya"]
    kenya.country, kenya.region_code, kenya.subregion_code = "BR", "019", "419"
    kenya.stakeholder_group = "government"
    db.session.commit()

    summary = _summary()
    assert _groups(summary, "region")["002"]["converted"]["awards"] == 1
    assert "government" not in _groups(summary, "stakeholder_group")


def test_a_missing_rate_names_the_currency_and_the_day(fixture):
    with pytest.raises(ExchangeRateMissing) as caught:
        funding_summary(FundingSummaryInput.from_input({"currency": "GBP", "date_to": "2026-11-30"}))
    message = str(caught.value.message)
    assert "GBP" in message and "2026-11-30" in message


@pytest.mark.parametrize("data, field", [
    ({"group_by": ["planet"]}, "group_by"),
    ({"currency": "EURO"}, "currency"),
    ({"date_from": "yesterday"}, "date_from"),
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to"),
    ({"programme_ids": ["abc"]}, "programme_ids"),
])
def test_bad_choices_name_their_field(db, data, field):
    with pytest.raises(ValidationFailed) as caught:
        funding_summary(FundingSummaryInput.from_input({"currency": "USD", **data}))
    assert field in caught.value.errors


def test_an_unknown_programme_is_named(db):
    with pytest.raises(ValidationFailed) as caught:
        _summary(programme_ids=[987654])
    assert "programme_ids" in caught.value.errors


def test_representation_targets_actual_against_target_and_baseline(fixture, db):
    db.session.add_all([
        RepresentationTarget(programme_id=fixture["usd"].id, dimension="region", value="002",
                             target_share=Decimal("0.30"), baseline_share=Decimal("0.08"), baseline_source="IGF"),
        RepresentationTarget(programme_id=fixture["usd"].id, dimension="stakeholder_group",
                             value="technical_community", target_share=Decimal("0.25"),
                             baseline_share=Decimal("0.14"), baseline_source="IGF"),
        RepresentationTarget(programme_id=fixture["eur"].id, dimension="country_list", value="SIDS",
                             target_share=Decimal("0.50")),
    ])
    db.session.commit()

    targets = {(t["programme_id"], t["value"]): t for t in _summary(group_by=["region"])["targets"]}
    africa = targets[(fixture["usd"].id, "002")]
    assert (africa["awards"], africa["programme_awards"], africa["count_share"]) == (1, 1, "1.0000")
    assert (africa["shortfall"], africa["baseline_share"]) == (False, "0.0800")
    technical = targets[(fixture["usd"].id, "technical_community")]
    assert (technical["awards"], technical["count_share"], technical["shortfall"]) == (0, "0.0000", True)
    sids = targets[(fixture["eur"].id, "SIDS")]
    # The EUR programme's one released award went to Fiji; a4's award is not released.
    assert (sids["awards"], sids["programme_awards"], sids["awarded"]) == (1, 1, 13_200_00)
    assert sids["shortfall"] is False
