"""Both files validate against the shipped schemas and rulesets, say what they should, and withhold what they must."""

import json

from lxml import etree

from cade.reports.open_data import iati, threesixty
from cade.reports.open_data.documents import _awards
from cade.core.db import utcnow
from tests.querycount import count_statements
from tests.reports.open_data.conftest import SECRET
from tests.reports.open_data.validators import iati_errors, threesixty_errors


def _files():
    awards = _awards()
    return threesixty.render(awards), iati.render(awards, utcnow())


def _grants(content: bytes) -> dict:
    return {grant["id"]: grant for grant in json.loads(content)["grants"]}


def _activities(content: bytes) -> dict:
    return {a.findtext("iati-identifier"): a for a in etree.fromstring(content).iter("iati-activity")}


def test_both_files_validate(world):
    package, activities = _files()
    assert threesixty_errors(package) == []
    assert iati_errors(activities) == []
    assert len(_grants(package)) == len(_activities(activities)) == 7


def test_the_validators_catch_a_broken_file(world):
    package, activities = _files()
    data = json.loads(package)
    del data["grants"][0]["fundingOrganization"]
    data["grants"][1]["awardDate"] = "2026-13-01"
    assert len(threesixty_errors(json.dumps(data).encode())) == 2
    broken = activities.replace(b'percentage="100" code="15150"', b'percentage="60" code="15150"', 1)
    assert any("sector percentages" in e for e in iati_errors(broken))
    assert iati_errors(activities.replace(b"<activity-status", b"<activity-state", 1))


def test_left_out_declined_lapsed_unreleased_and_rejected(world):
    references = {g["id"].removeprefix("360G-cade-") for g in _grants(_files()[0]).values()}
    expected = {g.decision.application.reference for g in (*world["grants"], world["secret_grant"], world["travel"])}
    assert len(references) == 7 and expected < references


def test_an_organisation_without_consent_is_never_named(world):
    package, activities = _files()
    for content in (package, activities):
        text = content.decode()
        for value in (*SECRET.values(), "hidden-rights", "Quiet Kenyan Watch", "QKW0", "Silent Valley",
                      "silent-valley", "Amina", "Odhiambo", "amina@example.org"):
            assert value.lower() not in text.lower(), value
        assert "Open Mesh Kenya 0" in text  # consenting organisations are named
    secret = next(g for g in _grants(package).values() if g["currency"] == "USD" and g["amountAwarded"] == 20000)
    assert secret["recipientOrganization"] == [{"id": "360G-cade-anon-054",
                                                "name": "Anonymised organisation in Melanesia"}]
    assert secret["title"] == "Community network grant"
    # Fiji has one award in the file: the country is withheld, the sub-region given.
    assert secret["beneficiaryLocation"] == [{"id": "054", "name": "Melanesia", "geoCode": "054",
                                              "geoCodeType": "UNM49"}]
    activity = next(a for a in _activities(activities).values() if a.find("recipient-region") is not None)
    assert activity.find("recipient-country") is None
    assert activity.find("recipient-region").attrib == {"code": "054", "vocabulary": "2", "percentage": "100"}
    assert activity.find("participating-org[@role='4']").get("ref") is None


def test_kenya_has_five_awards_or_more_so_its_country_is_told_even_when_anonymised(world):
    grants = _grants(_files()[0]).values()
    anonymised = [g for g in grants if g["recipientOrganization"][0]["id"] == "360G-cade-anon-014"]
    assert len(anonymised) == 3
    assert all(g["beneficiaryLocation"][0]["countryCode"] == "KE" for g in anonymised)
    assert {g["recipientOrganization"][0]["name"] for g in anonymised} == {"Anonymised organisation in Eastern Africa"}


def test_travel_awards_go_to_the_organisation_and_never_name_the_traveller(world):
    grants = _grants(_files()[0])
    travel = grants[f"360G-cade-{world['travel'].decision.application.reference}"]
    assert travel["title"] == "Travel support grant"
    assert travel["recipientOrganization"][0]["name"] == "Open Mesh Kenya 0"
    assert "travellers are never named" in travel["description"]


def test_disbursements_and_results(world):
    package, activities = _files()
    reference = world["grants"][0].decision.application.reference
    paid = _grants(package)[f"360G-cade-{reference}"]
    assert paid["amountDisbursed"] == 7000
    assert [(t["transactionDate"], t["value"]) for t in paid["disbursementTransaction"]] == [
        ("2026-02-01", 4000), ("2026-05-01", 3000)]
    activity = _activities(activities)[f"XI-IATI-EC_INTPA-{reference}"]
    transactions = [(t.find("transaction-type").get("code"), t.findtext("value"))
                    for t in activity.findall("transaction")]
    assert transactions == [("2", "10000.00"), ("3", "4000.00"), ("3", "3000.00")]
    measured = _activities(activities)[f"XI-IATI-EC_INTPA-{world['grants'][2].decision.application.reference}"]
    periods = [(i.find("reference").get("code"), i.find("period/target").get("value"),
                getattr(i.find("period/actual"), "attrib", {}).get("value")) for i in measured.iter("indicator")]
    assert periods == [("staff-trained", "12", "9.5"), ("policies", "2", None)]
    assert measured.find("result").get("type") == "2"


def test_the_selection_takes_a_fixed_number_of_statements(world):
    _, statements = count_statements(_awards)
    assert statements == 4

