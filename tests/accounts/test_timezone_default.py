"""The time zone at sign-up: common zones first, the browser's zone when JavaScript can tell it, UTC
otherwise, and the organisation's country later when the person never chose one."""

import re

import pytest
from sqlalchemy import select

from cade.accounts.models import User
from cade.accounts.timezones import COMMON_ZONES, country_zone
from cade.core.timeutil import timezone_names
from cade.organisations import services as organisations
from tests.auditlog import audit_verbs
from tests.factories import UserFactory

GOOD_PASSWORD = "mango river telescope"


def page_text(response) -> str:
    return response.get_data(as_text=True)


def select_html(html: str, name: str) -> str:
    return re.search(rf'<select[^>]*\bname="{name}".*?</select>', html, re.S).group(0)


def organisation_input(country: str):
    return organisations.OrganisationProfileInput.from_input({
        "name": "Kijiji Community Network", "country": country, "city": "Nanyuki",
        "organisation_type": "community_network", "stakeholder_group": "civil_society",
    })


# --- the list ----------------------------------------------------------------------------------------------

def test_common_zones_come_first_then_every_zone(client, db):
    zones = select_html(page_text(client.get("/auth/register")), "timezone")
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', zones, re.S)
    assert [label for label, _ in groups] == ["Common time zones", "All time zones"]
    common = re.findall(r'value="([^"]+)"', groups[0][1])
    assert common == list(COMMON_ZONES)
    assert {"Africa/Nairobi", "Asia/Kolkata", "America/Sao_Paulo", "UTC"} <= set(common)
    assert re.findall(r'value="([^"]+)"', groups[1][1]) == timezone_names()
    assert '<option value="America/Sao_Paulo">America/Sao Paulo</option>' in zones


def test_every_common_zone_is_a_real_zone_of_the_full_list():
    assert set(COMMON_ZONES) <= set(timezone_names())


def test_without_javascript_utc_is_chosen_and_a_chosen_zone_is_kept(client, db):
    zones = select_html(page_text(client.get("/auth/register")), "timezone")
    assert re.findall(r'<option selected value="([^"]+)"', zones)[-1] == "UTC"
    data = {"name": "Amina", "email": "amina@example.org", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD,
            "locale": "en", "timezone": "Asia/Dhaka"}
    client.post("/auth/register", data=data)
    assert db.session.scalar(select(User)).timezone == "Asia/Dhaka"


def test_the_browser_zone_is_offered_only_before_the_person_chose(client, db):
    html = page_text(client.get("/auth/register"))
    assert re.search(r'src="/static/timezone\.[0-9a-f]{12}\.js"', html)
    assert "data-browser-zone" in select_html(html, "timezone")
    # A refused form comes back with what the person chose: the script must not change it.
    refused = page_text(client.post("/auth/register", data={"name": "", "timezone": "Asia/Dhaka", "locale": "en"}))
    zones = select_html(refused, "timezone")
    assert "data-browser-zone" not in zones
    assert '<option selected value="Asia/Dhaka">' in zones


def test_the_script_reads_the_browser_zone_and_leaves_a_choice_alone(app):
    script = (app.static_folder and open(f"{app.static_folder}/timezone.js", encoding="utf-8").read())
    assert "resolvedOptions().timeZone" in script
    assert "data-browser-zone" in script


# --- the country's zone --------------------------------------------------------------------------------

@pytest.mark.parametrize("country, zone", [
    ("KE", "Africa/Nairobi"),          # one zone
    ("ng", "Africa/Lagos"),            # lower case is the same country
    ("IN", "Asia/Kolkata"),
    ("MY", "Asia/Kuala_Lumpur"),       # two zones, one clock: the main (most populous) one
    ("BR", None),                      # several clocks: no guess
    ("US", None),
    ("CD", None),
    ("ZZ", None),                      # no such country
    ("", None),
    (None, None),
])
def test_the_zone_of_a_country_is_its_one_clock_or_none(country, zone):
    assert country_zone(country) == zone


def test_registering_an_organisation_sets_a_never_chosen_zone_from_its_country(app, db):
    user = UserFactory(timezone="UTC")
    with app.test_request_context():
        organisations.create_organisation(user, organisation_input("KE"))
    db.session.commit()
    assert db.session.get(User, user.id).timezone == "Africa/Nairobi"
    assert "user.timezone_from_country" in audit_verbs(user)


@pytest.mark.parametrize("chosen, country", [("Europe/Paris", "KE"), ("UTC", "BR")])
def test_a_chosen_zone_or_an_unclear_country_is_left_alone(app, db, chosen, country):
    user = UserFactory(timezone=chosen)
    with app.test_request_context():
        organisations.create_organisation(user, organisation_input(country))
    db.session.commit()
    assert db.session.get(User, user.id).timezone == chosen
    assert "user.timezone_from_country" not in audit_verbs(user)


def test_the_organisation_page_sets_the_zone_too(client, db, login):
    user = login(UserFactory(timezone="UTC"))
    response = client.post("/organisations/new", data={
        "name": "Kijiji Community Network", "country": "NG", "city": "Lagos",
        "organisation_type": "community_network", "stakeholder_group": "civil_society"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).timezone == "Africa/Lagos"
