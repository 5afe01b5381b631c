"""The trip summary on an application page, once approved, links each reader to the pages they may open."""

from tests.factories import MembershipFactory, UserFactory
from tests.travel.claim_helpers import approved_trip

LETTER, CLAIM, REPORT, REVIEW = ("Visa support letter", "Claim the costs of the trip", "Post-trip report",
                                 "Review the claim")


def _links(client, trip) -> dict[str, bool]:
    page = client.get(f"/applications/{trip.application_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    hrefs = {LETTER: f'href="/trips/{trip.id}/visa-letter"', CLAIM: f'href="/trips/{trip.id}/claim"',
             REPORT: f'href="/trips/{trip.id}/report"', REVIEW: f'href="/admin/trips/{trip.id}/claim"'}
    return {name: href in body for name, href in hrefs.items()}


def _approved(db, wants_visa_letter=True):
    trip, owner, traveller = approved_trip()
    trip.wants_visa_letter, trip.passport_country = wants_visa_letter, "SN" if wants_visa_letter else None
    db.session.commit()
    return trip, owner, traveller


def test_the_traveller_and_the_owner_reach_the_letter_the_claim_and_the_report(client, login, db):
    trip, owner, traveller = _approved(db)
    for user in (owner, traveller):
        login(user)
        assert _links(client, trip) == {LETTER: True, CLAIM: True, REPORT: True, REVIEW: False}


def test_no_letter_link_when_none_was_asked(client, login, db):
    trip, owner, _traveller = _approved(db, wants_visa_letter=False)
    login(owner)
    assert _links(client, trip)[LETTER] is False


def test_an_admin_reaches_the_letter_and_the_claim_review_but_not_the_travellers_pages(client, login, db, admin):
    trip, _owner, _traveller = _approved(db)
    login(admin)
    assert _links(client, trip) == {LETTER: True, CLAIM: False, REPORT: False, REVIEW: True}


def test_a_plain_member_who_is_not_the_traveller_gets_no_link_to_pages_they_cannot_open(client, login, db):
    trip, _owner, _traveller = _approved(db)
    member = UserFactory(name="Plain Member")
    MembershipFactory(user=member, organisation=trip.application.organisation, role="member")
    db.session.commit()
    login(member)
    assert not any(_links(client, trip).values())


def test_before_the_approval_is_released_no_link_shows(client, login, db):
    trip, owner, _traveller = _approved(db)
    trip.application.status = "under_review"
    db.session.commit()
    login(owner)
    assert not any(_links(client, trip).values())
