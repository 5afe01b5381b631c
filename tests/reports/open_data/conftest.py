"""A realistic world of released awards for the open-data tests (computed by hand in `world`'s docstring)."""

from datetime import date
from decimal import Decimal

import pytest

from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.services import release
from cade.extensions import db as _db
from cade.grants.constants import ReportKind
from cade.grants.models import IndicatorTarget
from cade.programmes.constants import ProgrammeKind
from cade.reports.open_data.documents import on_decisions_released
from cade.travel.models import Trip
from tests.factories import ApplicationFactory, CallFactory, DecisionFactory, OrganisationFactory, ProgrammeFactory
from tests.grants.indicator_helpers import at, grant_in, indicator, report, tranche

SECRET = {"name": "Hidden Rights Collective", "acronym": "HRCX", "website": "https://hidden-rights.example.fj",
          "registration_number": "FJ-REG-77123", "city": "Labasa"}


@pytest.fixture()
def release_hook(monkeypatch):
    """Awards' release hooks with the open-data one in it (cade/wiring.py adds it in the app)."""
    hooks = [*release.release_hooks]
    if on_decisions_released not in hooks:
        hooks.append(on_decisions_released)
    monkeypatch.setattr(release, "release_hooks", hooks)
    return hooks


def _submitted(call, organisation, day="2026-01-10", **kwargs):
    from cade.applications.snapshots import snapshot_applicant

    application = ApplicationFactory(call=call, organisation=organisation, under_review=True, submitted_at=at(day),
                                     **kwargs)
    snapshot_applicant(application)
    return application


@pytest.fixture()
def world(db):
    """Published (7 awards):
        cd (EUR, capacity development): 4 Kenyan grants of 10,000 (2 consenting, 2 not), accepted;
             one paid 4,000 on 2026-02-01 and 3,000 on 2026-05-01; one with targets and approved values
        cn (USD, community networks): the secret Fijian organisation (no consent, the only Fijian award) 20,000
             accepted; a Kenyan org without consent 15,000 released, not yet answered (no grant)
        ts (EUR, travel support): a consenting Kenyan org 1,500 accepted, the traveller named in the title
    Left out: a declined and a lapsed offer, an award not released, a released rejection, a withdrawn one.
    Kenya has 6 awards in the file (shown even when anonymised); Fiji 1 (withheld when anonymised).
    Totals: EUR 41,500.00; USD 35,000.00.
    """
    cd = ProgrammeFactory(name="Capacity development", kind=ProgrammeKind.CAPACITY_DEVELOPMENT, currency="EUR",
                          funder_name="CADE Programme", funder_identifier="XI-IATI-EC_INTPA")
    cn = ProgrammeFactory(name="Community networks", currency="USD", funder_identifier="XM-DAC-47000-CN")
    ts = ProgrammeFactory(name="Travel support", kind=ProgrammeKind.TRAVEL_SUPPORT, currency="EUR",
                          funder_identifier="XI-IATI-EC_INTPA")
    c_cd, c_cn, c_ts = CallFactory(programme=cd), CallFactory(programme=cn), CallFactory(programme=ts)
    named = [OrganisationFactory(name=f"Open Mesh Kenya {n}", publish_consent=True) for n in range(2)]
    unnamed = [OrganisationFactory(name=f"Quiet Kenyan Watch {n}", acronym=f"QKW{n}") for n in range(2)]
    secret = OrganisationFactory(country="FJ", **SECRET)
    kenyan_cn = OrganisationFactory(name="Silent Valley Network", website="https://silent-valley.example.ke")
    grants = [grant_in(c_cd, organisation=org) for org in (*named, *unnamed)]
    tranche(grants[0], 1, 4_000_00, paid_on="2026-02-01")
    tranche(grants[0], 2, 3_000_00, paid_on="2026-05-01")
    tranche(grants[0], 3, 3_000_00)
    staff = indicator(cd, "staff-trained", "Staff trained", "people")
    policies = indicator(cd, "policies", "Policies adopted", "policies", position=1)
    _db.session.add_all([IndicatorTarget(grant_id=grants[2].id, indicator_id=staff.id, target=Decimal("12")),
                         IndicatorTarget(grant_id=grants[2].id, indicator_id=policies.id, target=Decimal("2"))])
    report(grants[2], ReportKind.INTERIM, reviewed="2026-06-01", values={staff: 5})
    report(grants[2], ReportKind.FINAL, reviewed="2026-12-01", values={staff: 4.5})
    secret_grant = grant_in(c_cn, organisation=secret, amount=20_000_00)
    tranche(secret_grant, 1, 8_000_00, paid_on="2026-03-01")
    DecisionFactory(application=_submitted(c_cn, kenyan_cn), amount_minor=15_000_00, released_at=at("2026-02-01"))
    travel = grant_in(c_ts, organisation=named[0], amount=1_500_00)
    application = travel.decision.application
    application.title = "Travel of Amina Wanjiru Odhiambo to the IGF"
    _db.session.add(Trip(application_id=application.id, traveller_name="Amina Wanjiru Odhiambo",
                         traveller_email="amina@example.org", origin_city="Nairobi", origin_country="KE"))
    # Left out.
    for status in (DecisionStatus.DECLINED, DecisionStatus.LAPSED):
        DecisionFactory(application=_submitted(c_cd, OrganisationFactory(publish_consent=True)),
                        status=status, released_at=at("2026-02-01"))
    DecisionFactory(application=_submitted(c_cd, OrganisationFactory(publish_consent=True)))
    DecisionFactory(application=_submitted(c_cd, OrganisationFactory(publish_consent=True)),
                    outcome=DecisionOutcome.REJECT, amount_minor=None, released_at=at("2026-02-01"))
    _db.session.commit()
    return {"cd": cd, "cn": cn, "ts": ts, "calls": (c_cd, c_cn, c_ts), "named": named, "unnamed": unnamed,
            "secret": secret, "kenyan_cn": kenyan_cn, "grants": grants, "secret_grant": secret_grant,
            "travel": travel, "today": date(2027, 1, 1)}
