"""Second-pass checks on organisation rules: countries and regions, web addresses, text shown as text."""

import csv

import pycountry
import pytest
from babel import Locale

from cade.core.countries import DATA, country_name, get_country
from cade.core.errors import ValidationFailed
from cade.organisations import services
from cade.organisations.models import Invitation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.organisations.test_services import profile, profile_input

M49_ROWS = {row["iso_alpha2"]: row for row in csv.DictReader(DATA.open(encoding="utf-8"))}
ISO_COUNTRIES = sorted(country.alpha_2 for country in pycountry.countries)


# --- every country has its region; Antarctica has none and is refused -------------

def test_every_iso_country_but_antarctica_is_in_the_m49_table():
    assert set(ISO_COUNTRIES) - set(M49_ROWS) == {"AQ"}
    assert set(M49_ROWS) <= set(ISO_COUNTRIES)


def test_every_country_gives_its_region_and_a_name_in_each_language(db):
    founder = UserFactory()
    locales = [Locale.parse(code) for code in ("en", "fr", "es", "pt")]
    for code in ISO_COUNTRIES:
        if code == "AQ":
            continue
        org = services.create_organisation(founder, profile_input(country=code.lower()))
        row = M49_ROWS[code]
        assert (org.country, org.region_code, org.subregion_code) == (code, row["region_code"], row["subregion_code"])
        assert org.region_code in {"002", "009", "019", "142", "150"}, code
        for locale in locales:
            assert country_name(code, locale) not in ("", code), (code, locale)


def test_antarctica_belongs_to_no_m49_region_and_is_refused(client, db, login):
    # No UN region holds Antarctica: an organisation there could not be counted in any report.
    assert get_country("AQ") is None
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(country="AQ"))
    assert "country" in excinfo.value.errors
    login(UserFactory())
    form = client.get("/organisations/new").get_data(as_text=True)
    assert 'value="AQ"' not in form
    response = client.post("/organisations/new", data=dict(profile(country="AQ"), focus_areas=[], languages=[]))
    assert response.status_code == 200
    assert "organisations" not in response.headers.get("Location", "")


# --- web addresses ----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://[abc", "https://[::1", "https://mesh.example.org:99999", "https://:80", "https://mesh.example.org\x00x",
    "https://mesh.example.org/\x7f", "https://trusted.example.org@elsewhere.example", "https:\\\\elsewhere.example",
    "vbscript:msgbox(1)", " javascript:alert(1)", "https://mesh.example.org/" + "a" * 300,
])
def test_website_refuses_what_is_not_a_plain_web_link(db, url):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_organisation(UserFactory(), profile_input(website=url))
    assert "website" in excinfo.value.errors


@pytest.mark.parametrize("url", ["https://[::1]:8443/x", "https://mesh.example.org:8080/a?b=c#d",
                                 "https://bücher.example/"])
def test_website_accepts_ordinary_links(db, url):
    assert services.create_organisation(UserFactory(), profile_input(website=url)).website == url


@pytest.mark.parametrize("url", ["http://[abc", "https://mesh.example.org:99999"])
def test_the_form_explains_a_broken_address_instead_of_failing(client, db, login, url):
    login(UserFactory())
    response = client.post("/organisations/new", data=dict(profile(website=url), focus_areas=[], languages=[]))
    assert response.status_code == 200
    assert "Enter a web address starting with http:// or https://" in response.get_data(as_text=True)


# --- every text a person typed is shown as text ---------------------------------------

SCRIPT = '<script>alert("x")</script>'


def test_html_in_every_text_field_is_shown_as_text(client, db, login):
    org = OrganisationFactory(name=SCRIPT, acronym="<b>A</b>", city="<i>Thiès</i>", description=SCRIPT,
                              registration_number="<img src=x onerror=alert(1)>",
                              website='https://mesh.example.org/"><script>alert(1)</script>')
    owner = MembershipFactory(organisation=org, role="owner").user
    owner.name = "<u>Owner</u>"
    MembershipFactory(organisation=org, user=UserFactory(name=SCRIPT))
    db.session.add(Invitation(organisation=org, email="x@example.org", role="member", token_hash="0" * 64,
                              invited_by_id=owner.id, expires_at=org.created_at))
    db.session.commit()
    login(owner)
    for url in (f"/organisations/{org.id}", f"/organisations/{org.id}/edit", f"/organisations/{org.id}/members",
                "/organisations/mine"):
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        for raw in ("<script>alert", "<b>A</b>", "<i>Thiès", "<img src=x", "<u>Owner"):
            assert raw not in html, (url, raw)
    html = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in html
