"""Account pages: sign-up, verification, sign-in and out, reset, profile, limits, CSRF and the CLI."""

import re

import pytest
from flask_babel import force_locale, gettext
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.core.urls import external_url
from tests.factories import PASSWORD, UserFactory

GOOD_PASSWORD = "mango river telescope"
FAILED_LOGIN = "The e-mail address or password is not correct."


def registration(**overrides):
    data = {"name": "Amina Diallo", "email": "amina@example.org", "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD, "locale": "fr", "timezone": "Africa/Dakar"}
    data.update(overrides)
    return data


def user_count(db):
    return db.session.scalar(select(func.count()).select_from(User))


def page_text(response) -> str:
    return response.get_data(as_text=True)


# --- sign-up and verification ---------------------------------------------

def test_register_page_offers_languages_and_time_zones(csrf_app, client, db):
    response = client.get("/auth/register")
    assert response.status_code == 200
    html = page_text(response)
    # The register form itself carries a token, and the token is one the site accepts.
    register_form = re.search(r'<form method="post" action="/auth/register".*?</form>', html, re.S).group(0)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', register_form).group(1)
    assert client.post("/auth/register", data=registration(csrf_token=token)).status_code == 302
    assert user_count(db) == 1
    assert '<option value="America/Sao_Paulo">America/Sao Paulo</option>' in html
    assert '<option value="pt">Português</option>' in html
    assert 'for="email"' in html and 'autocomplete="new-password"' in html


def test_register_creates_an_account_and_shows_check_your_email(client, db, outbox):
    response = client.post("/auth/register", data=registration(email=" Amina@Example.org"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/check-email"
    user = db.session.scalar(select(User))
    assert user.email == "amina@example.org" and not user.is_verified
    assert [n.recipient_id for n in outbox("accounts.verify_email")] == [user.id]
    # Not signed in by registering: the taken-address path must look the same.
    assert client.get("/auth/profile").status_code == 302
    assert "Check your e-mail" in page_text(client.get(response.headers["Location"]))


def test_register_with_a_taken_address_looks_the_same_and_warns_the_owner(client, db, outbox):
    owner = UserFactory(email="amina@example.org")
    response = client.post("/auth/register", data=registration(email="AMINA@example.org"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/check-email"
    assert user_count(db) == 1
    assert [n.recipient_id for n in outbox("accounts.already_registered")] == [owner.id]
    assert outbox("accounts.verify_email") == []


@pytest.mark.parametrize("password, message", [
    ("eleven char", "Use at least 12 characters"),
    ("qwerty123456", "too common"),
])
def test_register_shows_password_problems_next_to_the_field(client, db, password, message):
    response = client.post("/auth/register", data=registration(password=password, confirm=password))
    assert response.status_code == 200
    html = page_text(response)
    assert re.search(r'id="password-error">[^<]*' + message, html)
    assert 'aria-invalid="true"' in html
    assert user_count(db) == 0


def test_register_requires_matching_passwords(client, db):
    response = client.post("/auth/register", data=registration(confirm="something else entirely"))
    assert "The passwords do not match." in page_text(response)
    assert user_count(db) == 0


def test_verification_link_works_once(client, db, outbox):
    client.post("/auth/register", data=registration())
    token = outbox("accounts.verify_email")[0].context["token"]

    response = client.get(f"/auth/verify/{token}", follow_redirects=True)
    # Signed in, the person reads the page in the language of their account (French here).
    with force_locale("fr"):
        confirmed = gettext("Thank you: your e-mail address is confirmed, and you are signed in.")
    assert confirmed in page_text(response)
    assert db.session.scalar(select(User)).is_verified

    # Used once: opened again without the session it created, it leads to sign-in, not into the account.
    client.post("/auth/logout")
    again = client.get(f"/auth/verify/{token}", follow_redirects=True)
    assert "already been used" in page_text(again)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_resend_verification_answers_the_same_for_any_address(client, db, outbox):
    UserFactory(unverified=True, email="new@example.org")
    known = client.post("/auth/resend-verification", data={"email": "new@example.org"})
    unknown = client.post("/auth/resend-verification", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox("accounts.verify_email")) == 1


# --- sign-in and sign-out -----------------------------------------------------

def test_login_renews_the_session_and_keeps_the_language(client, db):
    user = UserFactory(email="amina@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["locale"] = "es"

    response = client.post("/auth/login", data={"email": "Amina@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "es"
        assert session["_user_id"] == user.get_id()
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert client.get("/auth/profile").status_code == 200


def test_sign_in_page_offers_a_new_confirmation_link(client, db):
    # The verification e-mail says a new link can be asked for on the sign-in page.
    html = page_text(client.get("/auth/login"))
    assert '<a href="/auth/resend-verification">Send the confirmation link again</a>' in html


def test_unverified_user_signs_in_and_is_asked_to_verify(client, db):
    user = UserFactory(unverified=True)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=True)
    assert "Please confirm your e-mail address" in page_text(response)
    profile = page_text(client.get("/auth/profile"))
    assert "is not confirmed yet" in profile


def test_unknown_address_and_wrong_password_get_the_same_answer(client, db):
    UserFactory(email="amina@example.org")
    unknown = client.post("/auth/login", data={"email": "nobody@example.org", "password": PASSWORD})
    wrong = client.post("/auth/login", data={"email": "amina@example.org", "password": "not my password"})
    assert unknown.status_code == wrong.status_code == 200
    assert FAILED_LOGIN in page_text(unknown)
    assert FAILED_LOGIN in page_text(wrong)
    strip = lambda r: page_text(r).replace("nobody@example.org", "").replace("amina@example.org", "")  # noqa: E731
    assert strip(unknown) == strip(wrong)
    with client.session_transaction() as session:
        assert "_user_id" not in session


@pytest.mark.parametrize("target, expected", [
    ("//evil.com", "/"),
    ("https://evil.com/x", "/"),
    ("/\\evil.com", "/"),
    ("/%5Cevil.com", "/"),
    ("/applications/", "/applications/"),
])
def test_login_follows_next_only_on_this_site(client, db, target, expected):
    user = UserFactory()
    response = client.post(f"/auth/login?next={target}", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_login_form_carries_next_through_the_post(client, db):
    user = UserFactory()
    html = page_text(client.get("/auth/login?next=/applications/"))
    assert 'value="/applications/"' in html
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "next": "//evil.com"})
    assert response.headers["Location"] == "/"


def test_logout_only_by_post(client, db, auth):
    user = UserFactory()
    auth.login(user)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/auth/profile").status_code == 200
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert client.get("/auth/profile").status_code == 302


def test_disabled_account_cannot_sign_in(client, db):
    user = UserFactory(active=False)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert FAILED_LOGIN in page_text(response)


# --- password reset -----------------------------------------------------------

def test_reset_request_answers_the_same_whether_or_not_the_account_exists(client, db, outbox):
    UserFactory(email="amina@example.org")
    known = client.post("/auth/reset", data={"email": "amina@example.org"})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)
    assert "If an account exists for that address" in page_text(known)
    assert [n.recipient_email for n in outbox()] == ["amina@example.org"]


def test_reset_link_sets_a_new_password_and_ends_other_sessions(app, client, db, outbox, auth):
    user = UserFactory(email="amina@example.org")
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert other_device.get("/auth/profile").status_code == 200

    client.post("/auth/reset", data={"email": user.email})
    token = outbox("accounts.reset_password")[0].context["token"]
    assert 'name="password"' in page_text(client.get(f"/auth/reset/{token}"))

    weak = client.post(f"/auth/reset/{token}", data={"password": "a" * 11, "confirm": "a" * 11})
    assert "Use at least 12 characters" in page_text(weak)

    response = client.post(f"/auth/reset/{token}", data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.headers["Location"] == "/auth/login"
    assert other_device.get("/auth/profile").status_code == 302
    assert client.get(f"/auth/reset/{token}").status_code == 400
    assert FAILED_LOGIN in page_text(auth.login(user, PASSWORD))
    assert auth.login(user, GOOD_PASSWORD).status_code == 302


def test_forged_reset_link_shows_a_clear_page(client, db):
    response = client.get("/auth/reset/not-a-token")
    assert response.status_code == 400
    assert "Ask for a new link" in page_text(response)


# --- profile -----------------------------------------------------------------

def test_profile_requires_sign_in(client, db):
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert client.post("/auth/profile/password", data={}).status_code == 302


def test_profile_update(client, db, login):
    user = UserFactory(name="Old Name")
    login(user)
    response = client.post("/auth/profile", data={"name": "New Name", "locale": "pt",
                                                  "timezone": "America/Sao_Paulo"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.locale, user.timezone) == ("New Name", "pt", "America/Sao_Paulo")


def test_profile_refuses_an_unknown_time_zone(client, db, login):
    user = UserFactory()
    login(user)
    response = client.post("/auth/profile", data={"name": "X", "locale": "en", "timezone": "Nowhere/Else"})
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.timezone == "UTC"


def test_change_password_needs_the_current_one_and_keeps_this_session(app, client, db, login):
    user = UserFactory()
    login(user)
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": user.email, "password": PASSWORD})

    wrong = client.post("/auth/profile/password", data={
        "password-current_password": "not my password", "password-new_password": GOOD_PASSWORD,
        "password-confirm": GOOD_PASSWORD})
    assert "Your current password is not correct." in page_text(wrong)

    response = client.post("/auth/profile/password", data={
        "password-current_password": PASSWORD, "password-new_password": GOOD_PASSWORD,
        "password-confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    assert client.get("/auth/profile").status_code == 200
    assert other_device.get("/auth/profile").status_code == 302


# --- rate limiting and CSRF -------------------------------------------------------

def test_too_many_sign_in_attempts_get_429(limited_app, db):
    limited_client = limited_app.test_client()
    data = {"email": "nobody@example.org", "password": "wrong password!"}
    codes = [limited_client.post("/auth/login", data=data).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    last = limited_client.post("/auth/login", data=data)
    assert "Too many attempts" in page_text(last)
    # Reading the page is not limited.
    assert limited_client.get("/auth/login").status_code == 200


def test_post_without_csrf_token_is_refused(csrf_app, client, db):
    user = UserFactory()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your session expired" in page_text(response)
    with client.session_transaction() as session:
        assert "_user_id" not in session


# --- create-admin command -----------------------------------------------------

def test_create_admin_command_with_password_option(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "Boss@Example.org", "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created the account boss@example.org as an administrator" in result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.has_role("admin") and user.is_verified


def test_create_admin_command_prompts_for_a_hidden_password(app, db, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.org"],
                                          input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output
    assert client.post("/auth/login", data={"email": "boss@example.org", "password": GOOD_PASSWORD}).status_code == 302


def test_create_admin_command_promotes_an_existing_user(app, db):
    UserFactory(email="boss@example.org", unverified=True)
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.org"])
    assert result.exit_code == 0, result.output
    assert "Marked boss@example.org as verified." in result.output
    assert "Gave boss@example.org the administrator role." in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User)).has_role("admin")


@pytest.mark.parametrize("email", ["x@@example.org", "a..b@example.org"])
@pytest.mark.parametrize("password_option", [["--password", GOOD_PASSWORD], []])
def test_create_admin_command_refuses_a_malformed_address(app, db, email, password_option):
    # Without --password the address is refused before a password is asked for (no input is given).
    result = app.test_cli_runner().invoke(args=["create-admin", email, *password_option])
    assert result.exit_code != 0
    assert "Enter an e-mail address such as name@example.org." in result.output
    assert "Password" not in result.output
    assert user_count(db) == 0


def test_create_admin_command_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.org", "--password", "password1234"])
    assert result.exit_code != 0
    assert "too common" in result.output
    assert user_count(db) == 0


# --- e-mail templates ---------------------------------------------------------

EMAIL_BASES = {
    "email/_base.txt": "{% block subject %}{% endblock %}\n---\n{% block body %}{% endblock %}",
    "email/_base.html": "<html><body>{% block body %}{% endblock %}</body></html>",
}


@pytest.mark.parametrize("name, context, expected_link", [
    ("verify_email", {"token": "TOKEN123", "email": "a@example.org", "valid_hours": 72}, "/auth/verify/TOKEN123"),
    ("reset_password", {"token": "TOKEN123", "email": "a@example.org", "valid_hours": 2}, "/auth/reset/TOKEN123"),
    ("already_registered", {"email": "a@example.org"}, "/auth/reset"),
])
def test_email_templates_render_with_absolute_links(app, name, context, expected_link):
    # Stand-in bases keep this test about our templates, whatever the real bases look like.
    env = app.jinja_env.overlay(loader=ChoiceLoader([DictLoader(EMAIL_BASES), app.jinja_loader]))
    with app.test_request_context():
        values = dict(context, recipient_name="Amina", link=external_url)
        text = env.get_template(f"email/accounts/{name}.txt").render(values)
        html = env.get_template(f"email/accounts/{name}.html").render(values)
    subject, body = text.split("\n---\n")
    assert subject.strip() and "\n" not in subject.strip()
    base = app.config["BASE_URL"].rstrip("/")
    assert base + expected_link in body
    assert f'href="{base}{expected_link}"' in html
    assert "Amina" in body and "a@example.org" in body


def test_outbox_rows_of_each_kind_render_in_the_recipients_language(client, db, outbox):
    from cade.notifications.rendering import render_notification

    UserFactory(email="taken@example.org", locale="fr")
    # Whoever tries to register with the address chose English: the warning still goes out in the account's French.
    client.post("/auth/register", data=registration(email="taken@example.org", locale="en"))
    client.post("/auth/register", data=registration(email="new@example.org", locale="en"))
    client.post("/auth/reset", data={"email": "new@example.org"})

    rendered = {row.kind: render_notification(row) for row in outbox()}
    assert set(rendered) == {"accounts.already_registered", "accounts.verify_email", "accounts.reset_password"}
    token = outbox("accounts.verify_email")[0].context["token"]
    subject, text, html = rendered["accounts.verify_email"]
    assert subject == "Confirm your e-mail address for CADE Grants"
    assert f"/auth/verify/{token}" in text and f"/auth/verify/{token}" in html
    assert "Amina Diallo" in text
    reset_token = outbox("accounts.reset_password")[0].context["token"]
    assert f"/auth/reset/{reset_token}" in rendered["accounts.reset_password"][1]
    assert "taken@example.org" in rendered["accounts.already_registered"][1]
    assert rendered["accounts.already_registered"][0] == "Quelqu'un a essayé de créer un compte avec votre adresse"
    assert rendered["accounts.reset_password"][0] != rendered["accounts.already_registered"][0]


def test_reset_takes_as_long_for_an_unknown_address_as_for_a_known_one(app, client, db, monkeypatch):
    """Timing must not tell who has an account: both answers wait for the same floor."""
    import time

    monkeypatch.setitem(app.config, "ACCOUNT_ANSWER_FLOOR_SECONDS", 0.3)
    known = UserFactory(email="known@example.org")
    for address in (known.email, "nobody@example.org"):
        started = time.monotonic()
        response = client.post("/auth/reset", data={"email": address})
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.3
