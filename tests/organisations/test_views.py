"""Organisation pages, one test per role for each permission rule."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.tokens import token_digest
from cade.organisations.models import Invitation, Membership, Organisation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

FORM = {
    "name": "Rural Mesh Collective",
    "country": "SN",
    "organisation_type": "community_network",
    "stakeholder_group": "technical_community",
    "website": "https://mesh.example.org",
    "year_founded": "2015",
    "annual_budget_amount": "25000.50",
    "annual_budget_currency": "EUR",
    "focus_areas": ["connectivity", "gender"],
    "languages": ["fr"],
    "publish_consent": "y",
}


def pages(org):
    return {
        "view": f"/organisations/{org.id}",
        "edit": f"/organisations/{org.id}/edit",
        "members": f"/organisations/{org.id}/members",
    }


# --- one test per role for view / edit / members ----------------------------------------------

@pytest.mark.parametrize("page", ["view", "edit", "members"])
def test_anonymous_is_sent_to_sign_in(client, org, page):
    url = pages(org)[page]
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert quote(url, safe="") in response.headers["Location"]


@pytest.mark.parametrize("page", ["view", "edit", "members"])
def test_member_of_another_organisation_gets_404(client, login, org, outsider, page):
    login(outsider)
    assert client.get(pages(org)[page]).status_code == 404


@pytest.mark.parametrize("page", ["view", "edit", "members"])
def test_missing_organisation_is_404(client, login, owner, page):
    login(owner)
    assert client.get(pages(Organisation(id=987654))[page]).status_code == 404


def test_member_sees_profile_and_members_but_cannot_edit(client, login, org, owner, member):
    login(member)
    response = client.get(pages(org)["view"])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Kijiji Net" in html
    assert "Kenya" in html and "Africa" in html
    assert owner.name in html and member.name in html
    assert pages(org)["edit"] not in html
    assert client.get(pages(org)["edit"]).status_code == 403
    members = client.get(pages(org)["members"]).get_data(as_text=True)
    assert member.email in members
    assert "Invite a colleague" not in members
    assert "Leave Kijiji Net" in members


def test_owner_may_edit_and_manage(client, login, org, owner):
    login(owner)
    assert pages(org)["edit"] in client.get(pages(org)["view"]).get_data(as_text=True)
    edit = client.get(pages(org)["edit"])
    assert edit.status_code == 200
    assert 'value="Kijiji Net"' in edit.get_data(as_text=True)
    assert "Invite a colleague" in client.get(pages(org)["members"]).get_data(as_text=True)


def test_admin_may_see_edit_and_manage_any_organisation(client, login, org, admin):
    login(admin)
    assert client.get(pages(org)["view"]).status_code == 200
    assert client.get(pages(org)["edit"]).status_code == 200
    assert "Invite a colleague" in client.get(pages(org)["members"]).get_data(as_text=True)


# --- create and edit --------------------------------------------------------------------------

def test_create_makes_an_organisation_owned_by_the_user(client, login, db):
    user = login(UserFactory())
    response = client.post("/organisations/new", data=FORM)
    assert response.status_code == 302
    org = db.session.scalar(select(Organisation))
    assert response.headers["Location"] == f"/organisations/{org.id}"
    assert org.region_code == "002"
    assert org.annual_budget_minor == 2_500_050
    assert org.publish_consent is True
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == user.id)) == "owner"


def test_server_owned_fields_posted_in_the_form_are_ignored(client, login, db, org, owner):
    login(owner)
    data = dict(FORM, verified="y", region_code="150", subregion_code="155", id="999")
    client.post("/organisations/new", data=data)
    created = db.session.scalar(select(Organisation).where(Organisation.name == FORM["name"]))
    assert created.verified is False and created.region_code == "002" and created.id != 999

    client.post(pages(org)["edit"], data=dict(data, name="Edited"))
    db.session.expire_all()
    edited = db.session.get(Organisation, org.id)
    assert edited.name == "Edited"
    assert edited.verified is False and edited.region_code == "002"


def test_bad_input_is_shown_next_to_the_fields(client, login, db):
    login(UserFactory())
    response = client.post("/organisations/new", data=dict(
        FORM, website="javascript:alert(1)", annual_budget_amount="10.005", annual_budget_currency="USD",
        country="XX", year_founded="1700"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "http:// or https://" in html
    assert 'aria-invalid="true"' in html
    assert "between 1800 and" in html
    assert db.session.scalar(select(Organisation)) is None


def test_budget_decimals_are_checked_against_the_currency(client, login, db):
    login(UserFactory())
    response = client.post("/organisations/new", data=dict(FORM, annual_budget_amount="10.005",
                                                           annual_budget_currency="USD"))
    assert response.status_code == 200
    assert "more decimal places than USD allows" in response.get_data(as_text=True)
    assert db.session.scalar(select(Organisation)) is None


def budget_error(html: str) -> str:
    """The message shown beside the annual budget field ("" when there is none)."""
    found = re.search(r'<p class="error" id="annual_budget_amount-error">([^<]*)</p>', html)
    return found.group(1) if found else ""


@pytest.mark.parametrize("amount, message", [
    ("sNaN", "Enter a number."),
    ("Infinity", "Enter a number."),
    ("-Infinity", "Enter a number."),
    ("1e999999", "This number is too large."),
    ("-5", "Enter an amount of zero or more."),
])
def test_an_unusable_budget_is_explained_beside_the_field_and_the_rest_is_kept(client, login, db, amount, message):
    login(UserFactory())
    response = client.post("/organisations/new", data=dict(FORM, annual_budget_amount=amount))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert budget_error(html) == message
    assert 'aria-invalid="true"' in html and 'aria-describedby="annual_budget_amount-hint annual_budget_amount-error"' in html
    # What was typed comes back, the unusable amount included, so nothing has to be typed again.
    for kept in (f'value="{amount}"', 'value="Rural Mesh Collective"', 'value="https://mesh.example.org"',
                 'value="2015"', '<option selected value="EUR">', 'checked id="focus_areas-0"'):
        assert kept in html, kept
    assert db.session.scalar(select(Organisation)) is None


def test_a_french_reader_types_the_budget_the_french_way(client, login, db):
    login(UserFactory())
    client.post("/language", data={"locale": "fr"})
    response = client.post("/organisations/new", data=dict(FORM, annual_budget_amount="25 000,50"))
    assert response.status_code == 302
    assert db.session.scalar(select(Organisation)).annual_budget_minor == 2_500_050


def test_an_unreadable_budget_is_explained_in_french(client, login, db):
    login(UserFactory())
    client.post("/language", data={"locale": "fr"})
    response = client.post("/organisations/new", data=dict(FORM, annual_budget_amount="sNaN"))
    assert response.status_code == 200
    assert budget_error(response.get_data(as_text=True)) == "Saisissez un nombre."


def test_html_in_the_name_is_shown_escaped(client, login, db):
    org = OrganisationFactory(name='<script>alert("x")</script>')
    owner = MembershipFactory(organisation=org).user
    login(owner)
    for url in pages(org).values():
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html


def test_countries_and_languages_are_named_in_the_readers_language(client, login, db):
    login(UserFactory())
    client.post("/language", data={"locale": "fr"})
    html = client.get("/organisations/new").get_data(as_text=True)
    assert ">Allemagne<" in html
    assert "anglais" in html


def test_admin_verifies_but_owner_cannot(client, login, db, org, owner, admin):
    login(owner)
    assert client.post(f"/organisations/{org.id}/verify", data={"verified": "1"}).status_code == 403
    login(admin)
    client.post(f"/organisations/{org.id}/verify", data={"verified": "1"})
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).verified is True


# --- mine -------------------------------------------------------------------------------------

def test_mine_without_organisation_goes_to_create_with_an_explanation(client, login, db):
    login(UserFactory())
    response = client.get("/organisations/mine", follow_redirects=True)
    assert response.request.path == "/organisations/new"
    assert "You do not belong to an organisation yet" in response.get_data(as_text=True)


def test_mine_with_one_organisation_redirects_to_it(client, login, org, owner):
    login(owner)
    response = client.get("/organisations/mine")
    assert response.headers["Location"] == f"/organisations/{org.id}"


def test_mine_with_several_lists_them(client, login, org, owner):
    MembershipFactory(user=owner, organisation=OrganisationFactory(name="Second Org"), role="member")
    login(owner)
    html = client.get("/organisations/mine").get_data(as_text=True)
    assert "Kijiji Net" in html and "Second Org" in html


def test_mine_requires_sign_in(client):
    assert client.get("/organisations/mine").headers["Location"].startswith("/auth/login")


# --- members ----------------------------------------------------------------------------------

def test_owner_invites_by_email(client, login, db, outbox, org, owner):
    login(owner)
    response = client.post(f"/organisations/{org.id}/members/invite",
                           data={"email": "Amina@example.org", "role": "member"})
    assert response.status_code == 302
    [mail] = outbox("organisations.invitation")
    assert mail.recipient_email == "amina@example.org"
    html = client.get(pages(org)["members"]).get_data(as_text=True)
    assert "amina@example.org" in html


def test_invalid_invitation_address_is_shown_on_the_form(client, login, db, org, owner, member):
    login(owner)
    response = client.post(f"/organisations/{org.id}/members/invite", data={"email": member.email,
                                                                           "role": "member"})
    assert response.status_code == 400
    assert "already a member" in response.get_data(as_text=True)


def test_member_cannot_invite_and_outsider_gets_404(client, login, org, member, outsider):
    login(member)
    assert client.post(f"/organisations/{org.id}/members/invite",
                       data={"email": "x@example.org", "role": "owner"}).status_code == 403
    login(outsider)
    assert client.post(f"/organisations/{org.id}/members/invite",
                       data={"email": "x@example.org", "role": "owner"}).status_code == 404


def test_owner_changes_roles_and_removes_members(client, login, db, org, owner, member):
    login(owner)
    membership_id = db.session.scalar(select(Membership.id).where(Membership.user_id == member.id))
    client.post(f"/organisations/{org.id}/members/{membership_id}/role", data={f"m{membership_id}-role": "owner"})
    assert db.session.get(Membership, membership_id).role == "owner"
    client.post(f"/organisations/{org.id}/members/{membership_id}/remove")
    assert db.session.get(Membership, membership_id) is None


def test_last_owner_cannot_be_demoted_through_the_page(client, login, db, org, owner):
    login(owner)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == owner.id))
    response = client.post(f"/organisations/{org.id}/members/{membership.id}/role",
                           data={f"m{membership.id}-role": "member"}, follow_redirects=True)
    assert "at least one owner" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role == "owner"


def test_membership_of_another_organisation_cannot_be_touched(client, login, db, org, owner, outsider):
    login(owner)
    foreign = db.session.scalar(select(Membership).where(Membership.user_id == outsider.id))
    assert client.post(f"/organisations/{org.id}/members/{foreign.id}/remove").status_code == 404


def test_member_leaves(client, login, db, org, member):
    login(member)
    response = client.post(f"/organisations/{org.id}/leave")
    assert response.status_code == 302
    assert db.session.scalar(select(Membership).where(Membership.user_id == member.id)) is None


def test_owner_revokes_an_invitation(client, login, db, org, owner):
    login(owner)
    client.post(f"/organisations/{org.id}/members/invite", data={"email": "amina@example.org", "role": "member"})
    invitation = db.session.scalar(select(Invitation))
    client.post(f"/organisations/{org.id}/invitations/{invitation.id}/revoke")
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


def test_forms_refuse_posts_without_csrf_token(csrf_app, client, login, db, org, owner):
    login(owner)
    response = client.post(f"/organisations/{org.id}/members/invite",
                           data={"email": "amina@example.org", "role": "member"})
    assert response.status_code == 400
    assert db.session.scalar(select(Invitation)) is None


# --- accepting an invitation ------------------------------------------------------------------

def _invite(db, org, owner, email="amina@example.org", role="member", token="tok-123", **kw):
    invitation = Invitation(organisation=org, email=email, role=role, invited_by_id=owner.id,
                            token_hash=token_digest(token),
                            expires_at=kw.get("expires_at", utcnow() + timedelta(days=14)))
    db.session.add(invitation)
    db.session.commit()
    return token


def test_accepting_requires_sign_in_and_comes_back(client, db, org, owner):
    token = _invite(db, org, owner)
    # A visitor sees the invitation with the way to an account (tests/accounts/test_invitation_registration.py);
    # the button itself needs one.
    page = client.get(f"/organisations/invitations/{token}").get_data(as_text=True)
    assert "Kijiji Net" in page and "Accept and join" not in page
    response = client.post(f"/organisations/invitations/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert token in response.headers["Location"]


def test_invitee_accepts_and_joins(client, login, db, org, owner):
    token = _invite(db, org, owner)
    amina = login(UserFactory(email="amina@example.org"))
    page = client.get(f"/organisations/invitations/{token}").get_data(as_text=True)
    assert "Accept and join" in page and "Kijiji Net" in page
    response = client.post(f"/organisations/invitations/{token}")
    assert response.headers["Location"] == f"/organisations/{org.id}"
    again = client.post(f"/organisations/invitations/{token}")
    assert again.status_code == 302
    assert len(db.session.scalars(select(Membership).where(Membership.user_id == amina.id)).all()) == 1
    assert "already a member" in client.get(f"/organisations/invitations/{token}").get_data(as_text=True)


def test_wrong_account_is_told_clearly(client, login, db, org, owner):
    token = _invite(db, org, owner)
    login(UserFactory(email="mallory@example.org"))
    response = client.post(f"/organisations/invitations/{token}")
    assert response.status_code == 403
    assert "different e-mail address" in response.get_data(as_text=True)
    assert db.session.scalar(select(Membership).where(Membership.organisation_id == org.id,
                                                      Membership.role == "member")) is None


def test_expired_and_unknown_links_are_explained(client, login, db, org, owner):
    token = _invite(db, org, owner, expires_at=utcnow() - timedelta(seconds=1))
    login(UserFactory(email="amina@example.org"))
    response = client.get(f"/organisations/invitations/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    response = client.get("/organisations/invitations/not-a-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_member_buttons_work_with_csrf_on(csrf_app, client, login, db, org, owner, member):
    login(owner)
    membership_id = db.session.scalar(select(Membership.id).where(Membership.user_id == member.id))
    html = client.get(pages(org)["members"]).get_data(as_text=True)
    role_token = re.search(rf'name="m{membership_id}-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post(f"/organisations/{org.id}/members/{membership_id}/role",
                data={f"m{membership_id}-role": "owner", f"m{membership_id}-csrf_token": role_token})
    assert db.session.get(Membership, membership_id).role == "owner"
    client.post(f"/organisations/{org.id}/members/{membership_id}/remove", data={"csrf_token": token})
    assert db.session.get(Membership, membership_id) is None
