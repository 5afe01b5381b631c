"""Disbursed and returned money in the funding summary, against a fixture computed by hand.

    rate: 1 EUR = 1.10 USD (2026-01-01)

    g1 Kenya (Africa)   USD programme, submitted 2026-01-10, 10,000: paid 4,000 on 2026-02-01 and 4,000 on
                        2027-01-10; 2,000 not paid; 500 returned on 2026-11-01
    g2 Fiji (Oceania)   EUR programme, submitted 2026-01-10, 12,000: paid 6,000 on 2026-03-01; 1,000 returned
                        on 2027-02-01
    g3 Kenya (Africa)   USD programme (another call), submitted 2024-05-01, 5,000: paid 1,000 on 2026-04-01

    In 2026: USD disbursed 5,000, returned 500; EUR disbursed 6,000 (6,600 USD), returned 0.
"""

from datetime import date
from decimal import Decimal

import pytest

from cade.core.rates import ExchangeRate
from cade.extensions import db as _db
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.tables import summary_tables
from tests.factories import CallFactory, OrganisationFactory, ProgrammeFactory
from tests.grants.indicator_helpers import grant_in, tranche
from tests.querycount import count_statements


@pytest.fixture()
def flows(db):
    usd = ProgrammeFactory(name="Capacity development", currency="USD")
    eur = ProgrammeFactory(name="Community networks", currency="EUR")
    c1, c2, c3 = CallFactory(programme=usd), CallFactory(programme=eur), CallFactory(programme=usd)
    kenya = OrganisationFactory(country="KE", stakeholder_group="civil_society")
    g1 = grant_in(c1, organisation=kenya, amount=10_000_00)
    tranche(g1, 1, 4_000_00, paid_on="2026-02-01")
    tranche(g1, 2, 4_000_00, paid_on="2027-01-10")
    tranche(g1, 3, 2_000_00)
    g1.returned_minor, g1.returned_on, g1.returned_reference = 500_00, date(2026, 11, 1), "BACK-1"
    g2 = grant_in(c2, amount=12_000_00, country="FJ", stakeholder_group="academia")
    tranche(g2, 1, 6_000_00, paid_on="2026-03-01")
    g2.returned_minor, g2.returned_on, g2.returned_reference = 1_000_00, date(2027, 2, 1), "BACK-2"
    g3 = grant_in(c3, organisation=kenya, amount=5_000_00, submitted="2024-05-01")
    tranche(g3, 1, 1_000_00, paid_on="2026-04-01")
    _db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=Decimal("1.10"),
                                 rate_date=date(2026, 1, 1), source="ECB reference rate"))
    _db.session.commit()
    return {"usd": usd, "eur": eur, "c1": c1, "c2": c2}


def _summary(**data):
    return funding_summary(FundingSummaryInput.from_input({"currency": "USD", **data}), today=date(2027, 6, 1))


def _in_2026(**data):
    return _summary(date_from="2026-01-01", date_to="2026-12-31", **data)


def _currencies(figures) -> dict:
    return {row["currency"]: row for row in figures["by_currency"]}


def test_disbursed_and_returned_in_the_period_per_currency_and_converted(flows):
    total = _in_2026()["total"]
    usd, eur = _currencies(total)["USD"], _currencies(total)["EUR"]
    assert (usd["disbursed"], usd["returned"]) == (5_000_00, 500_00)
    assert (usd["disbursed_converted"], usd["returned_converted"]) == (5_000_00, 500_00)
    assert (eur["disbursed"], eur["returned"]) == (6_000_00, 0)
    assert eur["disbursed_converted"] == 6_600_00
    assert (total["converted"]["disbursed"], total["converted"]["returned"]) == (11_600_00, 500_00)
    # The awards beside them are those submitted in the period (g3's application is older).
    assert (usd["applications"], usd["awards"], usd["awarded"]) == (1, 1, 10_000_00)


def test_without_a_period_every_payment_and_return_counts(flows):
    total = _summary()["total"]
    assert (_currencies(total)["USD"]["disbursed"], _currencies(total)["EUR"]["returned"]) == (9_000_00, 1_000_00)
    assert total["converted"]["returned"] == 500_00 + 1_100_00


def test_breakdowns_follow_the_applications_snapshots(flows):
    summary = _in_2026()
    regions = {group["key"]: group["converted"] for group in summary["breakdowns"]["region"]}
    assert (regions["002"]["disbursed"], regions["002"]["returned"]) == (5_000_00, 500_00)
    assert regions["009"]["disbursed"] == 6_600_00
    years = {group["key"]: group["converted"] for group in summary["breakdowns"]["year"]}
    # A grant submitted before the period still shows the money paid in it, under its year of submission.
    assert years["2024"] == {"applications": 0, "awards": 0, "requested": 0, "awarded": 0,
                             "disbursed": 1_000_00, "returned": 0}
    programmes = {group["key"]: group["converted"] for group in summary["breakdowns"]["programme"]}
    assert programmes[str(flows["eur"].id)]["disbursed"] == 6_600_00
    assert sum(group["converted"]["disbursed"] for group in summary["breakdowns"]["region"]) == 11_600_00


def test_the_programme_and_call_filters_apply(flows):
    only_eur = _in_2026(programme_ids=[flows["eur"].id])["total"]
    assert [row["currency"] for row in only_eur["by_currency"]] == ["EUR"]
    assert only_eur["converted"]["disbursed"] == 6_600_00
    only_c1 = _in_2026(call_ids=[flows["c1"].id])["total"]
    assert (only_c1["converted"]["disbursed"], only_c1["converted"]["returned"]) == (4_000_00, 500_00)


def test_nothing_paid_or_returned_is_zero(flows):
    total = _summary(date_from="2030-01-01")["total"]
    assert (total["converted"]["disbursed"], total["converted"]["returned"]) == (0, 0)


def test_tables_and_page_show_the_money_disbursed_and_returned(flows, admin, client, login):
    from cade.extensions import db
    from cade.reports.services.runs import compile_report, request_report

    tables = {table.name: table for table in summary_tables(_in_2026())}
    keys = [column.key for column in tables["total"].columns]
    assert {"disbursed", "returned", "disbursed_converted", "returned_converted"} <= set(keys)
    usd = next(row for row in tables["total"].rows if row[1] == "USD")
    assert usd[keys.index("disbursed")].amount == Decimal("5000.00")
    assert usd[keys.index("returned_converted")].amount == Decimal("500.00")
    assert "disbursed_converted" in [c.key for c in tables["by-programme"].columns]

    run = request_report(admin, FundingSummaryInput.from_input(
        {"currency": "USD", "date_from": "2026-01-01", "date_to": "2026-12-31"}))
    db.session.commit()
    run = compile_report(run.id, db.session.commit)
    db.session.commit()
    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    assert "Disbursed in the period" in page and "$11,600.00" in page and "$500.00" in page


def test_old_runs_without_these_figures_still_show(flows):
    summary = _in_2026()
    for row in summary["total"]["by_currency"]:
        for name in ("disbursed", "returned", "disbursed_converted", "returned_converted"):
            row.pop(name)
    usd = next(row for row in summary_tables(summary)[0].rows if row[1] == "USD")
    assert usd[7].amount == 0


def test_the_money_flows_run_a_fixed_number_of_queries(flows):
    command = FundingSummaryInput.from_input({"currency": "USD", "group_by": ["region", "year"]})
    from cade.reports.services.money_flows import money_flows
    from cade.reports.services.summary import _key_columns

    def run():
        return money_flows(_key_columns(), [(), *[(d,) for d in command.dimensions]], programme_ids=[],
                           call_ids=[], date_from=None, date_to=None)

    _, few = count_statements(run)
    for _n in range(4):
        tranche(grant_in(flows["c1"], country="SN"), 1, 100_00, paid_on="2026-05-01")
    _db.session.commit()
    rows, many = count_statements(run)
    assert many == few == 1
    assert sum(f["disbursed"] for g, _k, f in rows if g == () and f["currency"] == "USD") == 9_400_00
