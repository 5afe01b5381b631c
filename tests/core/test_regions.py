"""UN M49 region names: as the UN writes them, in every language the site speaks (issue 8, item 8)."""

import csv

import pytest
from babel import Locale

from cade.core import countries
from cade.core.countries import country_choices, region_choices, region_name
from tests.factories import CallFactory, MembershipFactory, OrganisationFactory, UserFactory

LATIN_AMERICA = {
    "en": "Latin America and the Caribbean",
    "fr": "Amérique latine et Caraïbes",
    "es": "América Latina y el Caribe",
    "pt": "América Latina e Caribe",
}


@pytest.mark.parametrize("language", sorted(LATIN_AMERICA))
def test_latin_america_keeps_the_caribbean_in_every_language(language):
    assert region_name("419", Locale.parse(language)) == LATIN_AMERICA[language]


def test_sub_saharan_africa_reads_as_the_un_writes_it():
    names = {lang: region_name("202", Locale.parse(lang)) for lang in ("en", "fr", "es", "pt")}
    assert names == {"en": "Sub-Saharan Africa", "fr": "Afrique subsaharienne",
                     "es": "África subsahariana", "pt": "África Subsaariana"}


def test_a_regional_locale_reads_its_language_and_an_unknown_one_reads_english():
    assert region_name("419", Locale.parse("fr_CA")) == "Amérique latine et Caraïbes"
    assert region_name("419", Locale.parse("de")) == "Latin America and the Caribbean"


def test_unknown_and_empty_codes_do_not_break_a_page():
    assert region_name("999", Locale("en")) == "999"
    assert region_name(None) == "" and region_name("") == ""


def test_outside_a_request_region_names_are_english():
    assert region_name("419") == "Latin America and the Caribbean"


def _codes_in_country_table() -> set[str]:
    with countries.DATA.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {row[column] for row in rows
            for column in ("region_code", "subregion_code", "intermediate_region_code") if row[column]}


def test_every_region_the_app_offers_has_a_name_in_all_four_languages(app):
    offered = {code for code, _name in region_choices(Locale("en"))} | _codes_in_country_table()
    table = countries.region_table()
    assert offered <= set(table), offered - set(table)
    for code in offered:
        for language in app.config["LANGUAGES"]:
            name = table[code][language]
            assert name and name != code, (code, language)
    assert len(offered) == 29


def test_the_english_names_are_those_of_the_country_table():
    with countries.DATA.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table = countries.region_table()
    for row in rows:
        for code, name in ((row["region_code"], row["region_name"]), (row["subregion_code"], row["subregion_name"]),
                           (row["intermediate_region_code"], row["intermediate_region_name"])):
            if code:
                assert table[code]["en"] == name, code


def test_region_choices_are_named_and_sorted_in_the_readers_language():
    assert ("419", "Amérique latine et Caraïbes") in region_choices(Locale("fr"))
    names = [name for _code, name in region_choices(Locale("es"))]
    # An accented first letter files under its letter: África before Asia, not after Polinesia.
    assert names.index("África") < names.index("América Latina y el Caribe") < names.index("Asia")
    assert names[-1] == "Polinesia"


def test_countries_with_an_accented_name_are_filed_under_their_letter():
    names = [name for _code, name in country_choices(Locale("fr"))]
    assert names.index("Égypte") < names.index("Espagne") < names.index("France")
    assert names[-1] == "Zimbabwe"


@pytest.mark.parametrize("language", sorted(LATIN_AMERICA))
def test_a_call_open_to_latin_america_names_the_whole_region_on_its_page(client, language):
    call = CallFactory(eligible_regions=["419"])
    response = client.get(f"/calls/{call.id}", headers={"Accept-Language": language})
    assert response.status_code == 200
    assert LATIN_AMERICA[language] in response.get_data(as_text=True)


def test_an_organisation_page_names_its_region_in_full(client, login):
    user = UserFactory()
    organisation = OrganisationFactory(country="JM", city="Kingston")
    MembershipFactory(user=user, organisation=organisation)
    login(user)
    client.post("/language", data={"locale": "es", "next": "/"})
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "América Latina y el Caribe" in page
