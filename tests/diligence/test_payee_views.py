"""Bank details and screenings pages: who sees them, masking, the two admins' buttons, errors that keep the input."""

from datetime import date

import pytest
from sqlalchemy import select

from cade.diligence.constants import PayeeStatus
from cade.diligence.models import PayeeAccount, Screening
from cade.extensions import db as _db
from tests.diligence.payee_helpers import IBAN_SN, bank_letter, verified_account
from tests.factories import MembershipFactory, OrganisationFactory, ProgrammeFactory, UserFactory

NAME = "Réseau Communautaire du Sahel"


@pytest.fixture()
def org(db):
    organisation = OrganisationFactory(name=NAME, country="SN")
    owner = MembershipFactory(organisation=organisation, role="owner", user__name="Amina Diallo").user
    member = MembershipFactory(organisation=organisation, role="member").user
    return organisation, owner, member, bank_letter(organisation)


def form(letter, **changes):
    return {"account_holder": NAME, "bank_name": "CBAO", "bank_country": "SN",
            "iban": "SN08 SN01 0015 2000 0485 0000 3035", "currency": "XOF", "bank_letter_id": str(letter.id),
            **changes}


def test_the_owner_sees_the_account_masked_and_enters_new_details(org, client, login):
    organisation, owner, _member, letter = org
    verified_account(organisation)
    login(owner)
    page = client.get(f"/organisations/{organisation.id}/payee").get_data(as_text=True)
    assert "•••• 3035" in page and IBAN_SN not in page and "SN08 SN01" not in page
    assert "/check" not in page and "bank-letter.pdf" in page  # the letter to choose; no admin buttons
    response = client.post(f"/organisations/{organisation.id}/payee",
                           data=form(letter, iban="DE89 3704 0044 0532 0130 00", bank_country="DE", currency="EUR"))
    assert response.status_code == 302
    waiting = _db.session.scalar(select(PayeeAccount).where(PayeeAccount.status == PayeeStatus.PENDING))
    assert waiting.iban == "DE89370400440532013000" and waiting.entered_by_id == owner.id


def test_a_wrong_iban_checksum_is_refused_and_everything_typed_kept(org, client, login):
    organisation, owner, _member, letter = org
    login(owner)
    response = client.post(f"/organisations/{organisation.id}/payee",
                           data=form(letter, iban="SN08 SN01 0015 2000 0485 0000 3036", bic="CBAOSNDA",
                                     account_holder="Amina Diallo"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "check digits are wrong" in page and 'href="#iban"' in page and 'href="#holder_explanation"' in page
    assert 'value="SN08 SN01 0015 2000 0485 0000 3036"' in page and 'value="CBAOSNDA"' in page
    assert 'value="Amina Diallo"' in page and _db.session.scalar(select(PayeeAccount.id)) is None


def test_members_strangers_and_other_organisations_get_404(org, client, login, admin):
    organisation, _owner, member, _letter = org
    other = OrganisationFactory()
    other_account = verified_account(other)
    for user in (member, UserFactory(), MembershipFactory(organisation=other).user):
        login(user)
        assert client.get(f"/organisations/{organisation.id}/payee").status_code == 404
        assert client.post(f"/organisations/{organisation.id}/payee", data={}).status_code == 404
    login(MembershipFactory(organisation=other).user)  # an owner of the other organisation
    assert client.post(f"/organisations/{organisation.id}/payee/{other_account.id}/check").status_code == 404
    login(admin)
    assert client.post(f"/organisations/{organisation.id}/payee/{other_account.id}/check").status_code == 404
    assert client.get(f"/organisations/{organisation.id + 999}/payee").status_code == 404


def test_two_admins_check_and_confirm_from_the_page_and_the_one_who_checked_is_refused(org, client, login, admin):
    organisation, owner, _member, letter = org
    login(owner)
    client.post(f"/organisations/{organisation.id}/payee", data=form(letter))
    account = _db.session.scalar(select(PayeeAccount))
    base = f"/organisations/{organisation.id}/payee/{account.id}"
    login(owner)
    assert client.post(f"{base}/check").status_code == 404  # owners do not check their own details
    login(admin)
    page = client.get(f"/organisations/{organisation.id}/payee").get_data(as_text=True)
    assert f"{base}/check" in page and "•••• 3035" in page and "SN08 SN01" not in page
    assert client.post(f"{base}/check").status_code == 302
    refused = client.post(f"{base}/confirm")
    assert refused.status_code == 403 and "a second administrator must confirm" in refused.get_data(as_text=True)
    login(UserFactory(roles=["admin"]))
    assert client.post(f"{base}/confirm").status_code == 302
    _db.session.expire_all()
    assert _db.session.get(PayeeAccount, account.id).status == PayeeStatus.VERIFIED


def test_a_rejection_needs_a_reason(org, client, login, admin):
    organisation, owner, _member, letter = org
    login(owner)
    client.post(f"/organisations/{organisation.id}/payee", data=form(letter))
    account = _db.session.scalar(select(PayeeAccount))
    login(admin)
    base = f"/organisations/{organisation.id}/payee/{account.id}"
    response = client.post(f"{base}/reject", data={"reason": " "})
    assert response.status_code == 422 and "Say why the details are rejected" in response.get_data(as_text=True)
    assert client.post(f"{base}/reject", data={"reason": "Wrong letter."}).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(PayeeAccount, account.id).rejection_reason == "Wrong letter."
    login(owner)
    page = client.get(f"/organisations/{organisation.id}/payee").get_data(as_text=True)
    assert "Wrong letter." in page and "•••• 3035" in page


def test_the_screenings_page_is_the_admins_prefilled_and_keeps_what_was_typed(org, client, login, admin):
    organisation, owner, _member, _letter = org
    programme = ProgrammeFactory(screening_lists=["UN list", "EU list"])
    login(owner)
    assert client.get(f"/admin/organisations/{organisation.id}/screenings").status_code == 404
    login(admin)
    url = f"/admin/organisations/{organisation.id}/screenings"
    page = client.get(url).get_data(as_text=True)
    assert NAME in page and "UN list" in page
    data = {"programme_id": str(programme.id), "screened_on": "2026-12-01", "lists": ["UN list"],
            "names": NAME, "result": "clear", "evidence": "Search record 4471"}
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "missing: EU list" in page and "Search record 4471" in page
    response = client.post(url, data={**data, "lists": ["UN list", "EU list"]})
    assert response.status_code == 302
    row = _db.session.scalar(select(Screening))
    assert (row.screened_on, row.lists, row.checked_by_id) == (date(2026, 12, 1), ["UN list", "EU list"], admin.id)
    assert client.get(f"/admin/organisations/{organisation.id + 999}/screenings").status_code == 404


def test_the_pages_are_light_and_every_field_is_labelled(org, client, login, admin):
    import re

    from tests.quality.conftest import assert_pages_are_light

    organisation, owner, _member, _letter = org
    verified_account(organisation)
    ProgrammeFactory(screening_lists=["UN list"])
    payee_url, screenings_url = (f"/organisations/{organisation.id}/payee",
                                 f"/admin/organisations/{organisation.id}/screenings")
    assert_pages_are_light(client, login, [(owner, [payee_url]), (admin, [payee_url, screenings_url])], "fr")
    for url in (payee_url, screenings_url):
        page = client.get(url).get_data(as_text=True)
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page):
            assert f'for="{field_id}"' in page or 'type="radio"' in page or 'type="checkbox"' in page, (url, field_id)
        headings = [int(level) for level in re.findall(r"<h([1-6])", page)]
        assert headings[0] == 1 and all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), url
