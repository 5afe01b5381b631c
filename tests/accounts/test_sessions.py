"""Sessions are signed cookies: what makes an old copy worthless, and who may still sign in."""

import unicodedata

import pytest

from cade.accounts import services, tokens
from cade.accounts.models import User
from cade.core.errors import AlreadyExists, InvalidTransition, PermissionDenied, ValidationFailed
from cade.organisations import services as organisation_services
from tests.factories import PASSWORD, MembershipFactory, UserFactory

GOOD_PASSWORD = "mango river telescope"


def signing_up(email: str, name: str) -> services.RegistrationInput:
    return services.RegistrationInput.from_input({"email": email, "password": GOOD_PASSWORD, "name": name,
                                                  "locale": "en", "timezone": "UTC"})


def invitation_to(email: str) -> organisation_services.InviteMemberInput:
    return organisation_services.InviteMemberInput.from_input({"email": email})


def signed_in(client) -> bool:
    return client.get("/auth/profile").status_code == 200


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(client, cookie: str) -> None:
    """Put back a copy of a session cookie, as someone who copied it would."""
    client.set_cookie("session", cookie)


# --- sign-in gives a new cookie; sign-out makes every copy worthless --------------

def test_sign_in_replaces_the_session_cookie(client, db):
    user = UserFactory()
    with client.session_transaction() as session:
        session["locale"] = "fr"
    before = session_cookie(client)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert session_cookie(client) != before
    replay(client, before)
    assert not signed_in(client)


def test_a_copied_session_cookie_is_worthless_after_sign_out(app, client, db):
    user = UserFactory()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    copied = session_cookie(client)
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": user.email, "password": PASSWORD})

    response = client.post("/auth/logout", follow_redirects=True)
    assert "You have signed out on every device." in response.get_data(as_text=True)

    replay(client, copied)
    assert not signed_in(client)
    assert not signed_in(other_device)
    # Signing in again works as before.
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert signed_in(client)


def test_signing_out_when_not_signed_in_changes_nothing(client, db):
    user = UserFactory()
    assert client.post("/auth/logout").status_code == 302
    db.session.refresh(user)
    assert user.session_version == 1


def test_a_copied_cookie_is_worthless_after_a_password_change(client, db):
    user = UserFactory()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    copied = session_cookie(client)
    response = client.post("/auth/profile/password", data={
        "password-current_password": PASSWORD, "password-new_password": GOOD_PASSWORD,
        "password-confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    fresh = session_cookie(client)
    assert signed_in(client)

    replay(client, copied)
    assert not signed_in(client)
    replay(client, fresh)
    assert signed_in(client)


def test_a_copied_cookie_is_worthless_after_a_password_reset(client, db):
    user = UserFactory()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    copied = session_cookie(client)
    with client.application.test_request_context():
        token = tokens.make_token(db.session.get(User, user.id), tokens.RESET_PASSWORD)
    client.post(f"/auth/reset/{token}", data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    replay(client, copied)
    assert not signed_in(client)


# --- disabled accounts ------------------------------------------------------------

def test_disabling_an_account_ends_its_sessions_at_once(app, client, db, login):
    admin = UserFactory(roles=["admin"])
    user = UserFactory()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert signed_in(client)

    services.set_user_active(admin, user, False)
    db.session.commit()

    assert not signed_in(client)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the one failure message
    assert not signed_in(client)


def test_only_admins_disable_accounts_and_never_their_own(db):
    admin = UserFactory(roles=["admin"])
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        services.set_user_active(user, admin, False)
    with pytest.raises(InvalidTransition):
        services.set_user_active(admin, admin, False)
    services.set_user_active(admin, user, False)
    services.set_user_active(admin, user, True)
    assert user.active


def test_a_disabled_account_cannot_confirm_its_address(app, db):
    admin = UserFactory(roles=["admin"])
    user = UserFactory(unverified=True)
    with app.test_request_context():
        token = tokens.make_token(user, tokens.VERIFY_EMAIL)
        services.set_user_active(admin, user, False)
        with pytest.raises(tokens.InvalidToken):
            services.verify_email(token)
    assert user.verified_at is None


def test_create_admin_does_not_bring_back_a_disabled_account(app, db):
    user = UserFactory(email="gone@example.org", active=False)
    with app.test_request_context():
        with pytest.raises(ValidationFailed) as excinfo:
            services.create_admin(services.AdminInput.from_input({"email": "gone@example.org"}))
    assert "disabled" in str(excinfo.value.errors["email"][0])
    assert not user.has_role("admin")
    result = app.test_cli_runner().invoke(args=["create-admin", "gone@example.org"])
    assert result.exit_code != 0
    assert "This account is disabled" in result.output


# --- one spelling of an address everywhere ----------------------------------------

DECOMPOSED = unicodedata.normalize("NFD", "José")


@pytest.mark.parametrize("typed, stored", [
    ("  Amina@Example.ORG ", "amina@example.org"),
    (f"{DECOMPOSED}@example.org", "josé@example.org"),
    ("kofi@Bücher.DE", "kofi@bücher.de"),
    ("kofi@xn--bcher-kva.de", "kofi@bücher.de"),
])
def test_addresses_are_stored_in_one_spelling(db, typed, stored):
    user = services.register_user(signing_up(typed, "Someone"))
    assert user.email == stored


def test_every_spelling_of_an_address_reaches_the_same_account(app, client, db):
    user = services.register_user(signing_up("José@Bücher.de", "José"))
    db.session.commit()
    for spelling in (f"{DECOMPOSED}@xn--bcher-kva.de", " JOSÉ@BÜCHER.DE", "josé@bücher.de"):
        assert services.authenticate(spelling, GOOD_PASSWORD).id == user.id
        assert services.request_password_reset(spelling)
        # Registering again under another spelling finds the existing account.
        assert services.register_user(signing_up(spelling, "José")) is None


def test_an_invitation_matches_the_account_whatever_the_spelling(app, db):
    owner = MembershipFactory(role="owner")
    invitee = services.register_user(signing_up(f"{DECOMPOSED}@xn--bcher-kva.de", "J"))
    with app.test_request_context():
        _invitation, token = organisation_services.invite_member(owner.user, owner.organisation_id,
                                                                 invitation_to("JOSÉ@Bücher.de"))
        membership = organisation_services.accept_invitation(invitee, token)
    assert membership.organisation_id == owner.organisation_id
    with app.test_request_context():
        with pytest.raises(AlreadyExists):
            organisation_services.invite_member(owner.user, owner.organisation_id,
                                                invitation_to("josé@xn--bcher-kva.de"))


def test_accounts_stored_before_normalisation_are_still_found(db):
    legacy = UserFactory(email="old@xn--bcher-kva.de")
    assert services.get_user_by_email("OLD@xn--bcher-kva.de").id == legacy.id
    assert services.get_user_by_email("old@bücher.de").id == legacy.id


# --- limits per account, not only per machine -------------------------------------

def test_sign_in_attempts_on_one_account_are_limited_from_many_machines(limited_app, db):
    user = UserFactory()
    client = limited_app.test_client()
    codes = []
    for attempt in range(31):
        # Another machine each time, and another spelling of the address.
        email = user.email.upper() if attempt % 2 else user.email
        codes.append(client.post("/auth/login", data={"email": email, "password": "wrong password!"},
                                 environ_base={"REMOTE_ADDR": f"10.0.{attempt // 250}.{attempt % 250}"}).status_code)
    assert codes[:30] == [200] * 30
    assert codes[30] == 429
    # Another account from those machines is not held up.
    other = UserFactory()
    response = client.post("/auth/login", data={"email": other.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 302
