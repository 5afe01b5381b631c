"""An organisation at risk is never named in open data or on a public page, whatever its consent says."""

import json

import pytest
from lxml import etree

from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.organisations import services as organisation_services
from cade.organisations.services import profiles
from cade.reports.open_data import iati, threesixty
from cade.reports.open_data.documents import _awards, current_document, on_organisation_changed
from cade.travel import letters
from tests.factories import MembershipFactory, UserFactory
from tests.organisations.test_services import profile_input
from tests.reports.open_data.conftest import world  # noqa: F401  (the fixture)
from tests.reports.open_data.validators import iati_errors, threesixty_errors
from tests.training.test_certificates import certify
from tests.travel.approval_helpers import approve_and_release, travel_application, travel_call
from tests.travel.approval_helpers import release_hook_fixture  # noqa: F401  (the fixture `release_hook`)

AT_RISK = "Open Mesh Kenya 1"  # consents in `world`; marked at risk below
NAMED = "Open Mesh Kenya 0"


@pytest.fixture()
def at_risk(world):  # noqa: F811
    organisation = world["named"][1]
    organisation.acronym, organisation.city, organisation.website = "OMK1", "Kisumu", "https://omk-one.example.ke"
    organisation.at_risk = True  # its consent stays as it was: at risk wins
    _db.session.commit()
    assert organisation.publish_consent is True
    return organisation


@pytest.fixture()
def hooked(monkeypatch):
    """Organisations' profile hooks with the open-data one in it (cade/wiring.py registers it in the app)."""
    hooks = [*profiles.profile_change_hooks]
    if on_organisation_changed not in hooks:
        hooks.append(on_organisation_changed)
    monkeypatch.setattr(profiles, "profile_change_hooks", hooks)
    return hooks


def _files():
    awards = _awards()
    return threesixty.render(awards), iati.render(awards, utcnow())


def _identifying(organisation) -> list[str]:
    return [organisation.name, organisation.acronym, organisation.city, organisation.website,
            organisation.website.removeprefix("https://")]


def test_an_organisation_at_risk_is_anonymised_despite_its_consent(at_risk, world):  # noqa: F811
    package, activities = _files()
    assert threesixty_errors(package) == [] and iati_errors(activities) == []
    for content in (package, activities):
        text = content.decode()
        for value in _identifying(at_risk):
            assert value not in text, value
        assert NAMED in text  # a consenting organisation that is not at risk is still named
    reference = next(grant.decision.application.reference for grant in world["grants"]
                     if grant.decision.application.organisation_id == at_risk.id)
    grant = next(g for g in json.loads(package)["grants"] if g["id"] == f"360G-cade-{reference}")
    assert grant["recipientOrganization"][0] == {"id": "360G-cade-anon-014",
                                                 "name": "Anonymised organisation in Eastern Africa"}
    assert grant["title"] == "Capacity development grant"  # neutral, never the application's own title
    names = [org.findtext("narrative") for org in etree.fromstring(activities).iter("participating-org")]
    assert AT_RISK not in names and NAMED in names


def test_the_travel_award_of_an_organisation_at_risk_is_anonymised_too(world):  # noqa: F811
    world["named"][0].at_risk = True  # the traveller's organisation
    _db.session.commit()
    package, activities = _files()
    for content in (package, activities):
        assert NAMED not in content.decode()
    assert threesixty_errors(package) == [] and iati_errors(activities) == []


def test_marking_at_risk_rewrites_the_published_files_in_the_same_transaction(world, hooked, client):  # noqa: F811
    organisation = world["named"][1]
    owner = MembershipFactory(organisation=organisation, role="owner").user
    assert AT_RISK in current_document("360giving").content.decode()
    _db.session.commit()
    assert AT_RISK in client.get("/api/v1/open-data/360giving.json").get_data(as_text=True)

    organisation_services.update_organisation(owner, organisation.id, profile_input(
        name=organisation.name, country=organisation.country, at_risk=True))
    for kind in ("360giving", "iati"):  # before the commit: the change and the files go together
        assert AT_RISK not in current_document(kind).content.decode()
    _db.session.commit()
    for url in ("/api/v1/open-data/360giving.json", "/api/v1/open-data/iati.xml"):
        served = client.get(url)
        assert served.status_code == 200 and AT_RISK not in served.get_data(as_text=True)
        assert NAMED in served.get_data(as_text=True)
    assert threesixty_errors(current_document("360giving").content) == []
    assert iati_errors(current_document("iati").content) == []


def test_a_change_the_files_do_not_tell_leaves_them_as_they_are(world, hooked):  # noqa: F811
    organisation = world["named"][1]
    owner = MembershipFactory(organisation=organisation, role="owner").user
    before = current_document("360giving")
    etag, generated_at = before.etag, before.generated_at
    _db.session.commit()
    organisation_services.update_organisation(owner, organisation.id, profile_input(
        name=organisation.name, country=organisation.country, description="Now also in Kisumu.",
        publish_consent=True))
    after = current_document("360giving")
    assert (after.etag, after.generated_at) == (etag, generated_at)


def test_an_anonymous_visitor_finds_it_on_no_public_page(client, at_risk, world):  # noqa: F811
    current_document("360giving"), current_document("iati")
    _db.session.commit()
    calls = world["calls"]
    urls = ["/", "/calls/closed", "/open-data", "/training/", "/api/v1/calls",
            "/api/v1/open-data/360giving.json", "/api/v1/open-data/iati.xml",
            *(f"/calls/{call.id}" for call in calls), *(f"/api/v1/calls/{call.id}" for call in calls)]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        text = response.get_data(as_text=True)
        for value in _identifying(at_risk):
            assert value not in text, (url, value)
    page = client.get("/open-data").get_data(as_text=True)
    assert "never named, even if it agreed to be" in page


def test_the_public_certificate_check_does_not_name_an_organisation_at_risk(client, db):
    certificate = certify()
    organisation = certificate.organisation
    organisation.publish_consent = True
    db.session.commit()
    url = f"/certificates/{certificate.code}"
    assert certificate.organisation_name in client.get(url).get_data(as_text=True)  # consent: named
    organisation.at_risk = True
    db.session.commit()
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "This certificate is valid." in html and "Amani Njeri" in html
    assert certificate.organisation_name not in html


def test_the_public_visa_letter_check_does_not_name_an_organisation_at_risk(client, db, admin, release_hook):
    call, event = travel_call(language="fr")
    application, trip = travel_application(call, event)
    owner = UserFactory(name="Ngozi Owner")
    MembershipFactory(user=owner, organisation=application.organisation, role="owner")
    approve_and_release(admin, application)
    letter = letters.issue_letter(owner, trip.id)
    db.session.commit()
    name = application.organisation.name
    assert name in client.get(f"/visa-letters/{letter.code}").get_data(as_text=True)
    application.organisation.at_risk = True
    db.session.commit()
    page = client.get(f"/visa-letters/{letter.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "This visa support letter is valid." in html
    assert "Chidi Okafor" in html and name not in html


def test_the_app_registers_the_open_data_hook(app):
    """cade/wiring.py's register_hooks puts `on_organisation_changed` on organisations' profile hooks."""
    assert on_organisation_changed in profiles.profile_change_hooks
