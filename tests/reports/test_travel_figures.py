"""Who we brought: the travel figures of the funding summary, against a fixture counted by hand.

The travel programme (USD) has one call; every trip has its own application and decision:

    Kenya (Africa, civil society)        5 trips, released awards: genders "Woman", " woman ", "WOMAN",
                                         "non-binary", "" — first time, speakers
    Fiji (Oceania, academia, SIDS)       3 trips, released awards: "woman", "woman", none — returning, participants
    Brazil (Americas, technical comm.)   2 trips, released awards: "man", "Man" — first time not said,
                                         one organiser and one role not recorded
    not counted: a trip whose award is decided but not released, one rejected, one withdrawn, and an award of the
    grants programme with no trip.

So 10 travellers; gender "woman" 5, and "man" 2, "non-binary" 1 and 2 not given merged into 5 "other or not given".
"""

import io
import zipfile
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event

from cade.applications.snapshots import snapshot_applicant
from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.extensions import db as _db
from cade.programmes.constants import ProgrammeKind
from cade.reports.models import RepresentationTarget
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.tables import summary_tables
from cade.travel.models import TravelSettings, Trip
from tests.factories import (ApplicationFactory, CallFactory, DecisionFactory, OrganisationFactory, ProgrammeFactory,
                             UserFactory)

SUBMITTED_AT = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def _trip(call, organisation, *, gender=None, first_time=None, role=None, outcome=DecisionOutcome.AWARD,
          released=True, withdrawn=False, passport_country=None):
    # An organisation applies once to a call: each trip comes from an organisation like `organisation`.
    organisation = OrganisationFactory(country=organisation.country,
                                       stakeholder_group=organisation.stakeholder_group)
    application = ApplicationFactory(organisation=organisation, call=call, submitted=True, submitted_at=SUBMITTED_AT,
                                     requested_amount_minor=2_000_00, **({"withdrawn": True} if withdrawn else {}))
    snapshot_applicant(application)
    DecisionFactory(application=application, outcome=outcome,
                    amount_minor=1_500_00 if outcome == DecisionOutcome.AWARD else None, currency="USD",
                    status=DecisionStatus.RELEASED if released else DecisionStatus.DECIDED,
                    released_at=SUBMITTED_AT if released else None)
    trip = Trip(application=application, traveller_name="A traveller", gender=gender, first_time=first_time,
                role=role, origin_country=organisation.country, passport_country=passport_country,
                wants_visa_letter=passport_country is not None)
    _db.session.add(trip)
    return trip


@pytest.fixture()
def travel(db):
    programme = ProgrammeFactory(name="Travel support", kind=ProgrammeKind.TRAVEL_SUPPORT, currency="USD")
    grants = ProgrammeFactory(name="Community networks", currency="USD")
    call = CallFactory(programme=programme, title="WSIS Forum 2026")
    _db.session.add(TravelSettings(call=call))
    kenya = OrganisationFactory.build(country="KE", stakeholder_group="civil_society")
    fiji = OrganisationFactory.build(country="FJ", stakeholder_group="academia")
    brazil = OrganisationFactory(country="BR", stakeholder_group="technical_community")
    for gender in ("Woman", " woman ", "WOMAN", "non-binary", ""):
        _trip(call, kenya, gender=gender, first_time=True, role="speaker", passport_country="KE")
    for gender in ("woman", "woman", None):
        _trip(call, fiji, gender=gender, first_time=False, role="participant")
    _trip(call, brazil, gender="man", role="organiser")
    _trip(call, brazil, gender="Man")
    _trip(call, kenya, gender="man", released=False)
    _trip(call, kenya, gender="man", outcome=DecisionOutcome.REJECT)
    _trip(call, kenya, gender="man", withdrawn=True)
    grant = ApplicationFactory(organisation=brazil, call=CallFactory(programme=grants), submitted=True,
                               submitted_at=SUBMITTED_AT)
    snapshot_applicant(grant)
    DecisionFactory(application=grant, outcome=DecisionOutcome.AWARD, amount_minor=10_000_00, currency="USD",
                    status=DecisionStatus.RELEASED, released_at=SUBMITTED_AT)
    for dimension, value, share in (("region", "002", "0.5000"), ("stakeholder_group", "technical_community",
                                                                   "0.3000"), ("country_list", "SIDS", "0.2000")):
        _db.session.add(RepresentationTarget(programme_id=programme.id, dimension=dimension, value=value,
                                             target_share=Decimal(share), baseline_share=Decimal("0.0800"),
                                             baseline_source="IGF 2019 participation"))
    _db.session.add(RepresentationTarget(programme_id=grants.id, dimension="region", value="019",
                                         target_share=Decimal("0.2000")))
    _db.session.commit()
    return {"programme": programme, "grants": grants, "call": call, "kenya": kenya}


def _summary(**data):
    return funding_summary(FundingSummaryInput.from_input({"currency": "USD", **data}))


def _counts(travel_figures, name):
    return {row["key"]: row["travellers"] for row in travel_figures["breakdowns"][name]}


def test_travellers_of_released_awards_by_every_breakdown(travel):
    figures = _summary()["travel"]

    assert figures["programme_ids"] == [travel["programme"].id]
    assert figures["travellers"] == 10
    assert _counts(figures, "region") == {"002": 5, "009": 3, "019": 2}
    assert _counts(figures, "country") == {"KE": 5, "FJ": 3, "BR": 2}
    assert _counts(figures, "stakeholder_group") == {"civil_society": 5, "academia": 3, "technical_community": 2}
    assert _counts(figures, "first_time") == {"first": 5, "returning": 3, "not_given": 2}
    assert _counts(figures, "role") == {"speaker": 5, "participant": 3, "organiser": 1, "unknown": 1}


def test_small_gender_groups_and_the_blank_ones_are_merged_and_never_kept(travel):
    figures = _summary()["travel"]

    assert figures["breakdowns"]["gender"] == [{"key": "woman", "travellers": 5},
                                               {"key": "other_or_not_given", "travellers": 5}]
    tables = {table.name: table for table in summary_tables(_summary())}
    groups = [row[1] for row in tables["travellers"].rows if row[0] == "Gender (self-described)"]
    assert groups == ["woman", "Other or not given"]
    assert "fewer than 5 travellers" in tables["travellers"].note


def test_a_gender_group_of_five_stays_and_blanks_alone_are_not_given(travel):
    organisation = OrganisationFactory.build(country="BR", stakeholder_group="technical_community")
    for _ in range(3):
        _trip(travel["call"], organisation, gender="man")
    # man: 2 + 3 = 5; now only "non-binary" (1) is small: merged with the 2 not given.
    _db.session.commit()
    assert _counts(_summary()["travel"], "gender") == {"woman": 5, "man": 5, "other_or_not_given": 3}


def test_without_small_groups_the_blank_ones_are_not_given():
    from cade.reports.services.travel_figures import _merge_small_genders
    from collections import Counter

    assert _merge_small_genders(Counter({"woman": 6, "not_given": 2})) == Counter({"woman": 6, "not_given": 2})


def test_each_travel_target_beside_the_share_of_travellers(travel):
    figures = _summary()["travel"]

    rows = {t["value"]: t for t in figures["targets"]}
    assert set(rows) == {"002", "technical_community", "SIDS"}  # not the grants programme's target
    assert (rows["002"]["travellers"], rows["002"]["share"], rows["002"]["shortfall"]) == (5, "0.5000", False)
    assert (rows["technical_community"]["share"], rows["technical_community"]["shortfall"]) == ("0.2000", True)
    assert (rows["SIDS"]["travellers"], rows["SIDS"]["share"], rows["SIDS"]["shortfall"]) == (3, "0.3000", False)
    assert rows["002"]["programme_travellers"] == 10
    assert (rows["002"]["target_share"], rows["002"]["baseline_share"]) == ("0.5000", "0.0800")
    [table] = [t for t in summary_tables(_summary()) if t.name == "travel-targets"]
    assert [(row[2], row[5], row[7]) for row in table.rows] == [
        ("Africa", Decimal("0.5"), "No"), ("Technical community", Decimal("0.2"), "Yes"),
        ("Small island developing states (SIDS)", Decimal("0.3"), "No")]


def test_no_travel_figures_when_the_selection_has_no_travel_programme(travel):
    summary = _summary(programme_ids=[str(travel["grants"].id)])

    assert summary["travel"] is None
    assert not {"travellers", "travel-targets"} & {t.name for t in summary_tables(summary)}
    assert _summary(call_ids=[str(travel["call"].id)])["travel"]["travellers"] == 10


def test_the_period_selects_the_trips_by_submission(travel):
    assert _summary(date_from="2026-04-01")["travel"]["travellers"] == 0
    assert _summary(date_to="2026-03-01")["travel"]["travellers"] == 10


def _statements(app):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_a_constant_number_of_queries_and_the_passport_country_is_never_read(app, travel):
    from cade.reports.services.summary import RELEASED_AWARD, _filters, _joined, _key_columns, _normalise, _targets
    from cade.reports.services.travel_figures import travel_figures

    command = FundingSummaryInput.from_input({"currency": "USD"})

    def run():
        targets = _targets(command)  # the summary's, loaded before: not the travel figures' queries
        seen, stop = _statements(app)
        try:
            figures = travel_figures(lambda s: _joined(s).where(*_filters(command), RELEASED_AWARD), _key_columns(),
                                     _normalise, programme_ids=[], call_ids=[], targets=targets)
        finally:
            stop()
        return figures, seen

    figures, before = run()
    for _ in range(6):
        _trip(travel["call"], travel["kenya"], gender="woman", passport_country="KE")
    _db.session.commit()
    more, after = run()
    assert (figures["travellers"], more["travellers"]) == (10, 16)
    assert len(before) == len(after) == 2
    seen, stop = _statements(app)
    try:
        _summary()
    finally:
        stop()
    assert seen and not any("passport" in statement for statement in seen)


def test_the_dashboard_and_every_file_show_the_travellers(travel, admin, client, login):
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    assert "passport" not in str(run.result)
    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    assert "Who we brought: travellers supported" in page and "Other or not given" in page
    assert "so that no one can be identified" in page
    assert "non-binary" not in page and "Man" not in page.split("Who we brought")[1].split("</table>")[0]
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/reports/{run.id}/csv").data))
    travellers_csv = archive.read("travellers.csv").decode("utf-8-sig")
    assert "All travellers,10," in travellers_csv and "non-binary" not in travellers_csv
    assert "travel-targets.csv" in archive.namelist()
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/{run.id}/xlsx").data), read_only=True)
    assert any(name.startswith("Who we brought") for name in workbook.sheetnames)
    pdf = PdfReader(io.BytesIO(client.get(f"/reports/{run.id}/pdf").data))
    assert "Who we brought" in " ".join(p.extract_text() for p in pdf.pages)


def test_only_administrators_see_the_travel_figures(travel, admin, client, login):
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    _db.session.commit()
    compile_report(run.id, _db.session.commit)
    _db.session.commit()
    login(UserFactory())
    for path in (f"/reports/{run.id}/", f"/reports/{run.id}/csv"):
        response = client.get(path)
        assert response.status_code == 404  # admin pages are not even shown to exist
        assert b"Who we brought" not in response.data and b"travellers" not in response.data


def test_a_travel_programme_without_travellers_shows_zero_everywhere(db, admin, client, login):
    ProgrammeFactory(name="Travel support", kind=ProgrammeKind.TRAVEL_SUPPORT, currency="USD")
    _db.session.commit()
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    assert run.result["travel"]["travellers"] == 0, run.error
    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    assert "All travellers: 0<" in page
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/reports/{run.id}/csv").data))
    assert "All travellers,0," in archive.read("travellers.csv").decode("utf-8-sig")
