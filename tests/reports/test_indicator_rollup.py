"""The funding summary's outcome indicators against a small fixture computed by hand.

    programme CN (USD), call c1: indicators networks, people; programme CD (EUR), call c2: indicator staff

    g1 Kenya (Africa, civil society)        c1  interim approved 2025-06-01  networks 2, people 100
                                                final   approved 2026-03-01  networks 1, people 50
    g2 Brazil (Americas, technical)         c1  interim approved 2026-02-01  networks 3
                                                final   submitted            networks 10   (not approved: not counted)
    g3 Fiji (Oceania, academia)             c2  interim approved 2026-05-01  staff 7
                                                final   changes requested    staff 99      (not counted)

    networks: 6 from 2 grants; people: 150 from 1 grant; staff: 7 from 1 grant
"""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cade.core.rates import ExchangeRate
from cade.extensions import db as _db
from cade.grants.constants import ReportKind, ReportStatus
from cade.reports.services.indicator_figures import indicator_figures
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.tables import summary_tables
from tests.factories import CallFactory, OrganisationFactory, ProgrammeFactory
from tests.grants.indicator_helpers import grant_in, indicator, report
from tests.querycount import count_statements


@pytest.fixture()
def rollup(db):
    cn = ProgrammeFactory(name="Community networks", currency="USD")
    cd = ProgrammeFactory(name="Capacity development", currency="EUR", kind="capacity_development")
    c1, c2 = CallFactory(programme=cn), CallFactory(programme=cd)
    networks = indicator(cn, "networks", "Community networks built or supported", "networks")
    people = indicator(cn, "people-connected", "People connected", "people", position=1)
    staff = indicator(cd, "staff-trained", "Staff trained", "people")
    kenya = OrganisationFactory(country="KE", stakeholder_group="civil_society")
    g1 = grant_in(c1, organisation=kenya)
    g2 = grant_in(c1, country="BR", stakeholder_group="technical_community")
    g3 = grant_in(c2, country="FJ", stakeholder_group="academia")
    report(g1, ReportKind.INTERIM, reviewed="2025-06-01", values={networks: 2, people: 100})
    report(g1, ReportKind.FINAL, reviewed="2026-03-01", values={networks: 1, people: 50})
    report(g2, ReportKind.INTERIM, reviewed="2026-02-01", values={networks: 3})
    report(g2, ReportKind.FINAL, status=ReportStatus.SUBMITTED, reviewed=None, values={networks: 10})
    report(g3, ReportKind.INTERIM, reviewed="2026-05-01", values={staff: 7})
    report(g3, ReportKind.FINAL, status=ReportStatus.CHANGES_REQUESTED, reviewed="2026-06-01", values={staff: 99})
    _db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=Decimal("1.10"),
                                 rate_date=date(2026, 1, 1), source="ECB reference rate"))
    _db.session.commit()
    return {"cn": cn, "cd": cd, "c1": c1, "kenya": kenya, "networks": networks, "people": people, "staff": staff}


def _summary(**data):
    return funding_summary(FundingSummaryInput.from_input({"currency": "USD", **data}), today=date(2026, 12, 1))


def _totals(figures) -> dict:
    codes = {item["id"]: item["code"] for item in figures["indicators"]}
    return {codes[row["indicator_id"]]: (row["value"], row["grants"]) for row in figures["total"]}


def _by(figures, dimension) -> dict:
    codes = {item["id"]: item["code"] for item in figures["indicators"]}
    return {(codes[row["indicator_id"]], row["key"]): (row["value"], row["grants"])
            for row in figures["by"][dimension]}


def test_values_of_approved_reports_add_up_per_indicator(rollup):
    figures = _summary()["indicators"]
    assert [item["code"] for item in figures["indicators"]] == ["networks", "people-connected", "staff-trained"]
    assert figures["indicators"][0] == {"id": rollup["networks"].id, "programme_id": rollup["cn"].id,
                                        "code": "networks", "label": "Community networks built or supported",
                                        "unit": "networks"}
    assert _totals(figures) == {"networks": ("6.00", 2), "people-connected": ("150.00", 1),
                                "staff-trained": ("7.00", 1)}


def test_rolled_up_by_year_of_approval_region_and_stakeholder_group(rollup):
    figures = _summary()["indicators"]
    assert _by(figures, "year") == {("networks", "2025"): ("2.00", 1), ("networks", "2026"): ("4.00", 2),
                                    ("people-connected", "2025"): ("100.00", 1),
                                    ("people-connected", "2026"): ("50.00", 1),
                                    ("staff-trained", "2026"): ("7.00", 1)}
    assert _by(figures, "region") == {("networks", "002"): ("3.00", 1), ("networks", "019"): ("3.00", 1),
                                      ("people-connected", "002"): ("150.00", 1),
                                      ("staff-trained", "009"): ("7.00", 1)}
    assert _by(figures, "stakeholder_group") == {
        ("networks", "civil_society"): ("3.00", 1), ("networks", "technical_community"): ("3.00", 1),
        ("people-connected", "civil_society"): ("150.00", 1), ("staff-trained", "academia"): ("7.00", 1)}


def test_the_summarys_programme_call_period_and_breakdowns_apply(rollup):
    assert _totals(_summary(programme_ids=[rollup["cd"].id])["indicators"]) == {"staff-trained": ("7.00", 1)}
    assert set(_totals(_summary(call_ids=[rollup["c1"].id])["indicators"])) == {"networks", "people-connected"}
    in_2026 = _summary(date_from="2026-01-01", date_to="2026-12-31")["indicators"]
    assert _totals(in_2026) == {"networks": ("4.00", 2), "people-connected": ("50.00", 1),
                                "staff-trained": ("7.00", 1)}
    only_region = _summary(group_by=["region"])["indicators"]
    assert set(only_region["by"]) == {"region"}
    assert _summary(date_from="2030-01-01")["indicators"] == {"indicators": [], "total": [],
                                                             "by": {"year": [], "region": [],
                                                                    "stakeholder_group": []}}


def test_a_profile_edited_later_does_not_move_a_grants_values(rollup):
    rollup["kenya"].country = "BR"
    rollup["kenya"].stakeholder_group = "academia"
    _db.session.commit()
    figures = _summary()["indicators"]
    assert _by(figures, "region")[("people-connected", "002")] == ("150.00", 1)


def test_a_retired_indicator_still_counts(rollup):
    rollup["people"].active = False
    _db.session.commit()
    assert _totals(_summary()["indicators"])["people-connected"] == ("150.00", 1)


def test_the_rollup_runs_a_fixed_number_of_queries(rollup):
    command = FundingSummaryInput.from_input({"currency": "USD"})
    _, few = count_statements(lambda: indicator_figures(command))
    for _n in range(5):  # five more grants reporting on every indicator
        grant = grant_in(rollup["c1"], country="SN", stakeholder_group="government")
        report(grant, values={rollup["networks"]: 1, rollup["people"]: 10})
    _db.session.commit()
    figures, many = count_statements(lambda: indicator_figures(command))
    assert many == few <= 2
    assert _totals(figures)["networks"] == ("11.00", 7)


def test_every_output_shows_the_indicators(rollup, admin, client, login):
    tables = {table.name: table for table in summary_tables(_summary())}
    main = tables["outcome-indicators"]
    assert [c.key for c in main.columns] == ["programme", "code", "indicator", "unit", "value", "grants"]
    assert main.rows[0] == ["Community networks", "networks", "Community networks built or supported", "networks",
                            pytest.approx(6), 2]
    assert [(row[0], str(row[1]), row[3]) for row in tables["indicators-by-region"].rows][:2] == [
        ("networks", "Africa", 1), ("networks", "Americas", 1)]

    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    login(admin)
    dashboard = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    assert "Outcome indicators" in dashboard and "Community networks built or supported" in dashboard
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/reports/{run.id}/csv").data))
    rows = list(csv.reader(io.StringIO(archive.read("outcome-indicators.csv").decode("utf-8-sig"))))
    assert rows[1][1:] == ["networks", "Community networks built or supported", "networks", "6", "2"] or \
        rows[1][1:] == ["networks", "Community networks built or supported", "networks", "6.0", "2"]
    book = load_workbook(io.BytesIO(client.get(f"/reports/{run.id}/xlsx").data), read_only=True)
    sheet = next(book[name] for name in book.sheetnames if name.startswith("Outcome indicators"))
    first = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[1] == "networks" and float(first[4]) == 6 and first[5] == 2
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(f"/reports/{run.id}/pdf").data)).pages)
    assert "Staff trained" in pdf and "Outcome indicators by stakeholder group" in pdf
