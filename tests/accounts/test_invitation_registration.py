"""An invitation survives registration: from the invitation page, through sign-up and the
verification link (possibly on another device), back to the invitation, signed in."""

import html as html_lib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.core.tokens import token_digest
from cade.extensions import db as _db
from cade.organisations.models import Invitation, Membership
from cade.reviews.models import ReviewerInvitation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

GOOD_PASSWORD = "mango river telescope"
TOKEN = "invitation-token-123"
INVITATION_PATH = f"/organisations/invitations/{TOKEN}"
REVIEW_TOKEN = "reviewer-token-456"
REVIEW_PATH = f"/review/invitations/{REVIEW_TOKEN}"


@pytest.fixture()
def invitation(db):
    org = OrganisationFactory(name="Kijiji Net", country="KE")
    owner = MembershipFactory(organisation=org, role="owner", user__name="Wanjiru Owner").user
    row = Invitation(organisation=org, email="amina@example.org", role="member", invited_by_id=owner.id,
                     token_hash=token_digest(TOKEN), expires_at=utcnow() + timedelta(days=14))
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture()
def reviewer_invitation(db, admin):
    row = ReviewerInvitation(email="nia@example.net", token_hash=token_digest(REVIEW_TOKEN),
                             invited_by_id=admin.id, expires_at=utcnow() + timedelta(days=14))
    db.session.add(row)
    db.session.commit()
    return row


def page_text(response) -> str:
    return response.get_data(as_text=True)


def main(html: str) -> str:
    """The page's own content, without the header's links (which offer sign-in and sign-up on every page)."""
    return re.search(r"<main.*?</main>", html, re.S).group(0)


def link(html: str, text: str) -> str:
    """The href of the link in the page's main content whose text is `text`."""
    for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', main(html), re.S):
        if re.sub(r"<[^>]+>", "", inner).strip() == text:
            return html_lib.unescape(href)
    raise AssertionError(f"no link {text!r}")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', main(html))
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return html_lib.unescape(value.group(1)) if value else None


def registration(**overrides):
    data = {"name": "Amina Diallo", "email": "amina@example.org", "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD, "locale": "en", "timezone": "Africa/Nairobi"}
    data.update(overrides)
    return data


def signed_in_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


# --- the invitation page, for a visitor without a session -----------------------------------------------

def test_a_visitor_sees_the_invitation_and_is_offered_to_create_an_account_or_sign_in(client, invitation):
    response = client.get(INVITATION_PATH)
    assert response.status_code == 200
    html = page_text(response)
    assert "Kijiji Net" in html and "Wanjiru Owner" in html
    assert "Accept and join" not in html  # accepting needs an account
    register = link(html, "Create an account")
    assert urlsplit(register).path == "/auth/register"
    assert query(register) == {"next": INVITATION_PATH, "email": "amina@example.org"}
    sign_in = link(html, "Sign in")
    assert urlsplit(sign_in).path == "/auth/login"
    assert query(sign_in)["next"] == INVITATION_PATH


def test_a_visitor_posting_the_accept_button_is_sent_to_sign_in_and_nothing_is_joined(client, invitation):
    response = client.post(INVITATION_PATH)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert _db.session.scalar(select(Membership).where(Membership.role == "member")) is None


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted", "unknown"])
def test_a_visitor_with_a_dead_invitation_link_is_told_and_offered_sign_in(client, invitation, state):
    path = INVITATION_PATH
    if state == "expired":
        invitation.expires_at = utcnow() - timedelta(minutes=1)
    elif state == "revoked":
        invitation.revoked_at = utcnow()
    elif state == "accepted":
        invitation.accepted_at = utcnow()
    else:
        path = "/organisations/invitations/not-a-token"
    _db.session.commit()
    response = client.get(path)
    assert response.status_code == (404 if state == "unknown" else 410)
    html = page_text(response)
    assert ("not valid" if state == "unknown" else "cannot be used any more") in html
    assert "Create an account" not in main(html)
    assert query(link(html, "Sign in"))["next"] == path


def test_a_visitor_sees_a_reviewer_invitation_with_the_same_choices(client, reviewer_invitation):
    response = client.get(REVIEW_PATH)
    assert response.status_code == 200
    html = page_text(response)
    assert "Accept and become a reviewer" not in html
    assert query(link(html, "Create an account")) == {"next": REVIEW_PATH, "email": "nia@example.net"}
    assert query(link(html, "Sign in"))["next"] == REVIEW_PATH


# --- sign-up and sign-in pages carry `next` ----------------------------------------------------------------

def test_the_register_page_keeps_next_and_fills_in_the_invited_address(client, db):
    html = page_text(client.get(f"/auth/register?next={INVITATION_PATH}&email=amina@example.org"))
    assert input_value(html, "next") == INVITATION_PATH
    assert input_value(html, "email") == "amina@example.org"
    # Changing one's mind to sign in keeps the invitation too.
    sign_in = link(html, "Sign in")
    assert query(sign_in) == {"next": INVITATION_PATH, "email": "amina@example.org"}


def test_the_sign_in_page_fills_in_the_address_and_offers_sign_up_with_next(client, db):
    html = page_text(client.get(f"/auth/login?next={INVITATION_PATH}&email=amina@example.org"))
    assert input_value(html, "email") == "amina@example.org"
    assert query(link(html, "Create an account")) == {"next": INVITATION_PATH, "email": "amina@example.org"}


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_an_outside_next_is_dropped_everywhere(client, db, outbox, target):
    html = page_text(client.get("/auth/register", query_string={"next": target}))
    assert not input_value(html, "next")
    client.post("/auth/register", data=registration(next=target))
    token = outbox("accounts.verify_email")[-1].context["token"]
    response = client.get(f"/auth/verify/{token}")
    assert response.headers["Location"] == "/"


def test_a_refused_registration_keeps_next(client, db):
    response = client.post("/auth/register", data=registration(confirm="something else", next=INVITATION_PATH))
    assert response.status_code == 200
    assert input_value(page_text(response), "next") == INVITATION_PATH


def test_sending_the_link_again_keeps_next(app, client, db, outbox):
    client.post("/auth/register", data=registration(next=INVITATION_PATH))
    check = client.get("/auth/register/check-email", query_string={"next": INVITATION_PATH})
    resend = link(page_text(check), "Send the link again")
    assert query(resend)["next"] == INVITATION_PATH
    assert input_value(page_text(client.get(resend)), "next") == INVITATION_PATH
    client.post("/auth/resend-verification", data={"email": "amina@example.org", "next": INVITATION_PATH})
    _first, second = outbox("accounts.verify_email")
    phone = app.test_client()
    assert phone.get(f"/auth/verify/{second.context['token']}").headers["Location"] == INVITATION_PATH


def test_registering_sends_to_check_email_with_next(client, db):
    response = client.post("/auth/register", data=registration(next=INVITATION_PATH))
    assert urlsplit(response.headers["Location"]).path == "/auth/register/check-email"
    assert query(response.headers["Location"]) == {"next": INVITATION_PATH}


# --- the whole way round ---------------------------------------------------------------------------------

def test_an_invited_colleague_registers_verifies_on_another_device_and_accepts(app, invitation, outbox):
    browser, phone = app.test_client(), app.test_client()
    html = page_text(browser.get(INVITATION_PATH))
    register_url = link(html, "Create an account")
    form = page_text(browser.get(register_url))
    assert input_value(form, "email") == "amina@example.org"

    response = browser.post("/auth/register", data=registration(next=input_value(form, "next")))
    assert response.status_code == 302
    token = outbox("accounts.verify_email")[-1].context["token"]

    # The mail is opened on a phone, which never saw the invitation page.
    landing = phone.get(f"/auth/verify/{token}")
    assert landing.status_code == 302 and landing.headers["Location"] == INVITATION_PATH
    amina = _db.session.scalar(select(User).where(User.email == "amina@example.org"))
    assert signed_in_id(phone) == amina.get_id() and amina.is_verified
    page = page_text(phone.get(INVITATION_PATH))
    assert "Accept and join" in page and "Kijiji Net" in page

    accepted = phone.post(INVITATION_PATH)
    assert accepted.headers["Location"] == f"/organisations/{invitation.organisation_id}"
    assert _db.session.scalar(select(Membership).where(Membership.user_id == amina.id)).role == "member"


def test_an_invited_reviewer_registers_verifies_and_accepts(app, client, reviewer_invitation, outbox):
    form = page_text(client.get(link(page_text(client.get(REVIEW_PATH)), "Create an account")))
    client.post("/auth/register", data=registration(email=input_value(form, "email"), next=input_value(form, "next")))
    token = outbox("accounts.verify_email")[-1].context["token"]
    landing = client.get(f"/auth/verify/{token}")
    assert landing.headers["Location"] == REVIEW_PATH
    assert "Accept and become a reviewer" in page_text(client.get(REVIEW_PATH))
    assert client.post(REVIEW_PATH).headers["Location"] == "/review/profile"
    nia = _db.session.scalar(select(User).where(User.email == "nia@example.net"))
    assert nia.has_role("reviewer")


def test_an_existing_account_signs_in_from_the_invitation_and_comes_back(client, invitation):
    UserFactory(email="amina@example.org")
    sign_in = link(page_text(client.get(INVITATION_PATH)), "Sign in")
    response = client.post(sign_in, data={"email": "amina@example.org", "password": "correct horse battery staple",
                                          "next": query(sign_in)["next"]})
    assert response.headers["Location"] == INVITATION_PATH


# --- an invitation for someone else ----------------------------------------------------------------------

def test_an_organisation_invitation_for_another_address_says_so(client, login, invitation):
    login(UserFactory(email="mallory@example.org"))
    response = client.get(INVITATION_PATH)
    assert response.status_code == 403
    html = page_text(response)
    assert "different e-mail address" in html and "mallory@example.org" in html
    assert "Accept and join" not in html


def test_a_reviewer_invitation_for_another_address_says_whom_it_was_for(client, login, reviewer_invitation):
    login(UserFactory(email="nia.work@example.org", name="Nia"))
    html = page_text(client.get(REVIEW_PATH))
    assert "nia@example.net" in html and "nia.work@example.org" in html
    assert "was sent to" in html
    assert "Accept and become a reviewer" in html  # any confirmed account may accept it
