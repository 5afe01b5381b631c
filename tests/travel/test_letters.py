"""Visa letters: refused before approval, the PDF in English and the event's language, the public check, access."""

from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied
from cade.core.urls import external_url
from cade.extensions import db
from cade.travel import letters
from cade.travel.letters import CODE_ALPHABET, RevokeLetterInput
from cade.travel.models import VisaLetter
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.travel.approval_helpers import approve_and_release, travel_application, travel_call
from tests.travel.approval_helpers import release_hook_fixture  # noqa: F401  (the fixture `release_hook`)


@pytest.fixture()
def case(db, admin, release_hook):
    """An approved, released trip of Chidi Okafor (Nigerian passport) to the WSIS Forum; its organisation's owner."""
    call, event = travel_call(language="fr")
    application, trip = travel_application(call, event)
    owner = UserFactory(name="Ngozi Owner")
    MembershipFactory(user=owner, organisation=application.organisation, role="owner")
    approve_and_release(admin, application)
    return trip, owner


def pdf_pages(letter) -> list[str]:
    from cade.core.storage import get_storage

    with get_storage().open(letter.stored_name) as stream:
        return [page.extract_text() for page in PdfReader(BytesIO(stream.read())).pages]


def test_a_letter_is_refused_before_the_trip_is_approved(db, admin):
    call, event = travel_call()
    application, trip = travel_application(call, event)
    owner = UserFactory()
    MembershipFactory(user=owner, organisation=application.organisation, role="owner")

    with pytest.raises(InvalidTransition) as refused:
        letters.issue_letter(owner, trip.id)

    assert "approved trip" in refused.value.message
    assert db.session.scalar(select(VisaLetter)) is None


def test_the_letter_is_in_english_then_french_with_everything_the_consulate_needs(case):
    trip, owner = case

    letter = letters.issue_letter(owner, trip.id)
    db.session.commit()

    english, french = pdf_pages(letter)
    for text in (english, french):
        flat = " ".join(text.split())
        assert "Chidi Okafor" in flat and "Lagos Digital Rights Hub" in flat and "WSIS Forum 2026" in flat
        assert "Geneva" in flat and letter.code in flat
        assert external_url("travel.verify_letter", code=letter.code) in text.replace("\n", "")
    assert "Visa support letter" in english and "Nigeria" in english and "July 7, 2026" in " ".join(english.split())
    assert "$900.00" in english and "Accommodation" in english
    assert "Lettre de soutien" in french and "Nigeria" in french and "Suisse" in french and "juillet" in french
    assert "Hébergement" in french and "900,00" in french
    assert letter.language == "fr" and len(letter.code) == 16 and set(letter.code) <= set(CODE_ALPHABET)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "visa_letter.issued"))
    assert audit.object_id == letter.id


def test_an_event_in_english_gives_one_page_and_issuing_twice_gives_the_same_letter(db, admin, release_hook):
    call, event = travel_call(language="en")
    application, trip = travel_application(call, event)
    approve_and_release(admin, application)

    letter = letters.issue_letter(admin, trip.id)
    again = letters.issue_letter(admin, trip.id)

    assert again.id == letter.id and len(pdf_pages(letter)) == 1


def test_no_letter_when_the_traveller_asked_for_none(db, admin, release_hook):
    call, event = travel_call()
    application, trip = travel_application(call, event, wants_visa_letter=False)
    approve_and_release(admin, application)

    with pytest.raises(InvalidTransition):
        letters.issue_letter(admin, trip.id)


def test_only_owners_and_admins_issue_and_strangers_do_not_see_the_trip(case):
    trip, _owner = case
    with pytest.raises(PermissionDenied):
        letters.issue_letter(trip.traveller, trip.id)  # a member who is not an owner
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=OrganisationFactory(), role="owner")
    with pytest.raises(NotFound):
        letters.issue_letter(stranger, trip.id)


def test_the_public_page_confirms_the_letter_without_the_passport_country(client, case):
    trip, owner = case
    letter = letters.issue_letter(owner, trip.id)
    db.session.commit()

    page = client.get(f"/visa-letters/{letter.code.lower()}")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Chidi Okafor" in text and "WSIS Forum 2026" in text and "Lagos Digital Rights Hub" in text
    assert "Nigeria" not in text


def test_an_unknown_code_is_404_and_a_revoked_letter_410_with_its_reason(client, admin, case):
    trip, owner = case
    letter = letters.issue_letter(owner, trip.id)
    db.session.commit()
    assert client.get("/visa-letters/AAAABBBBCCCCDDDD").status_code == 404

    letters.revoke_letter(admin, letter.id, RevokeLetterInput.from_input({"reason": "Issued with a wrong date."}))
    db.session.commit()

    page = client.get(f"/visa-letters/{letter.code}")
    assert page.status_code == 410 and "Issued with a wrong date." in page.get_data(as_text=True)
    with pytest.raises(InvalidTransition):
        letters.revoke_letter(admin, letter.id, RevokeLetterInput.from_input({"reason": "Again."}))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "visa_letter.revoked")) is not None


def test_a_revoked_letter_can_be_replaced_by_a_new_one(admin, case):
    trip, owner = case
    first = letters.issue_letter(owner, trip.id)
    letters.revoke_letter(admin, first.id, RevokeLetterInput.from_input({"reason": "Wrong dates."}))

    second = letters.issue_letter(owner, trip.id)

    assert second.id != first.id and second.code != first.code


def test_the_owner_the_traveller_and_admins_download_it_and_no_one_else(client, login, admin, case):
    trip, owner = case
    letter = letters.issue_letter(owner, trip.id)
    db.session.commit()
    url = f"/travel/visa-letters/{letter.id}.pdf"

    for reader in (owner, trip.traveller, admin):
        login(reader)
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        assert "no-store" in response.headers["Cache-Control"]
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=OrganisationFactory(), role="owner")
    login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(f"/trips/{trip.id}/visa-letter").status_code == 404
    assert client.post(f"/trips/{trip.id}/visa-letter").status_code == 404


def test_the_owner_issues_it_from_the_trips_letter_page(client, login, case):
    trip, owner = case
    login(owner)

    page = client.get(f"/trips/{trip.id}/visa-letter").get_data(as_text=True)
    assert "Issue the visa letter" in page
    response = client.post(f"/trips/{trip.id}/visa-letter")

    assert response.status_code == 303
    letter = db.session.scalar(select(VisaLetter))
    page = client.get(f"/trips/{trip.id}/visa-letter").get_data(as_text=True)
    assert f"/travel/visa-letters/{letter.id}.pdf" in page


def test_the_page_says_why_before_approval(client, login, db):
    call, event = travel_call()
    application, trip = travel_application(call, event)
    owner = UserFactory()
    MembershipFactory(user=owner, organisation=application.organisation, role="owner")
    login(owner)

    response = client.post(f"/trips/{trip.id}/visa-letter")

    assert response.status_code == 409 and "approved trip" in response.get_data(as_text=True)


def test_admins_revoke_from_a_page_with_a_required_reason(client, login, admin, case):
    trip, owner = case
    letter = letters.issue_letter(owner, trip.id)
    db.session.commit()
    login(owner)
    assert client.get(f"/admin/visa-letters/{letter.id}/revoke").status_code == 404
    login(admin)

    empty = client.post(f"/admin/visa-letters/{letter.id}/revoke", data={"reason": ""})
    assert empty.status_code == 422
    done = client.post(f"/admin/visa-letters/{letter.id}/revoke", data={"reason": "Trip cancelled."})

    assert done.status_code == 303
    assert db.session.get(VisaLetter, letter.id).revoked_reason == "Trip cancelled."
