"""Account services: password rules, sign-up, verification, sign-in, reset, profile and roles."""

import time
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from cade.accounts import passwords, services
from cade.accounts.models import User
from cade.accounts.tokens import InvalidToken, TokenExpired
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.notifications.models import Notification
from tests.auditlog import audit_verbs
from tests.factories import PASSWORD, UserFactory

GOOD_PASSWORD = "mango river telescope"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def register(**overrides):
    values = dict(email="Amina@Example.org", password=GOOD_PASSWORD, name="Amina Diallo",
                  locale="fr", timezone="Africa/Dakar")
    values.update(overrides)
    return services.register_user(services.RegistrationInput.from_input(values))


def new_password(password) -> services.PasswordResetInput:
    return services.PasswordResetInput.from_input({"password": password})


def password_change(current, new) -> services.PasswordChangeInput:
    return services.PasswordChangeInput.from_input({"current_password": current, "new_password": new})


def profile_of(name, locale, timezone) -> services.ProfileInput:
    return services.ProfileInput.from_input({"name": name, "locale": locale, "timezone": timezone})


def admin_input(email, password=None) -> services.AdminInput:
    return services.AdminInput.from_input({"email": email, "password": password})


def count_users(db):
    return db.session.scalar(select(func.count()).select_from(User))


# --- password rules ---------------------------------------------------------

@pytest.mark.parametrize("password, ok", [
    ("a" * 11, False),
    ("abcdefghijk", False),
    ("kx9!mq2#zp7", False),       # 11 characters, however "complex"
    ("kx9!mq2#zp7w", True),       # 12 characters
    ("all lowercase words here", True),  # no composition rules
    ("q1w2e3r4t5y6", False),      # on the common list, 12 characters
    ("Q1W2E3R4T5Y6", False),      # compared case-insensitively
    ("1QAZ2wsx3EDC", False),
    ("", False),
    (None, False),
])
def test_password_rules(app, password, ok):
    assert (passwords.password_problems(password) == []) is ok


def test_common_password_list_is_loaded_once_and_large(app):
    first = passwords.common_passwords()
    assert len(first) > 19000
    assert "password" in first and "q1w2e3r4t5y6" in first
    assert passwords.common_passwords() is first


def test_very_long_password_is_refused(app):
    assert passwords.password_problems("x" * (passwords.MAX_LENGTH + 1))


def test_passwords_are_hashed_with_scrypt(db):
    user = register()
    assert user.password_hash.startswith("scrypt:")
    assert GOOD_PASSWORD not in user.password_hash


# --- sign-up ----------------------------------------------------------------

def test_register_creates_an_unverified_user_and_sends_a_verification_link(db, outbox):
    user = register()
    db.session.commit()

    assert user.email == "amina@example.org"
    assert user.name == "Amina Diallo"
    assert (user.locale, user.timezone) == ("fr", "Africa/Dakar")
    assert user.verified_at is None
    assert user.role_names == []
    [message] = outbox("accounts.verify_email")
    assert message.recipient_id == user.id
    assert message.recipient_email == "amina@example.org"
    assert message.locale == "fr"
    assert message.context["token"]
    assert message.idempotency_key.startswith(f"verify:{user.id}:")
    assert audit_verbs(user) == ["user.registered"]


def test_register_strips_and_lowercases_the_address(db):
    user = register(email="  Mixed.Case@Example.ORG ")
    assert user.email == "mixed.case@example.org"


def test_register_with_an_existing_address_in_another_case_reveals_nothing(db, outbox):
    existing = UserFactory(email="amina@example.org")

    result = register(email="  AMINA@example.org")
    db.session.commit()

    assert result is None
    assert count_users(db) == 1
    assert outbox("accounts.verify_email") == []
    [warning] = outbox("accounts.already_registered")
    assert warning.recipient_id == existing.id
    assert warning.recipient_email == "amina@example.org"
    assert warning.context == {"email": "amina@example.org"}
    # The password of the existing account is untouched.
    assert services.authenticate("amina@example.org", PASSWORD).id == existing.id


def test_repeated_attempts_on_an_existing_address_warn_once_a_day(db, outbox):
    UserFactory(email="amina@example.org")
    with time_machine.travel(START, tick=False):
        register()
        register()
    with time_machine.travel(START + timedelta(days=1), tick=False):
        register()
    assert len(outbox("accounts.already_registered")) == 2


@pytest.mark.parametrize("field, overrides", [
    ("password", {"password": "short pass"}),          # 10 characters
    ("password", {"password": "a" * 11}),
    ("password", {"password": "qwerty123456"}),        # on the common list
    ("email", {"email": "not-an-address"}),
    ("email", {"email": "someone@localhost"}),
    ("name", {"name": "   "}),
    ("locale", {"locale": "de"}),
    ("timezone", {"timezone": "Mars/Olympus_Mons"}),
])
def test_register_refuses_bad_input_with_a_field_error(db, outbox, field, overrides):
    with pytest.raises(ValidationFailed) as raised:
        register(**overrides)
    assert list(raised.value.errors) == [field]
    assert count_users(db) == 0
    assert outbox() == []


def test_register_accepts_exactly_twelve_characters(db):
    assert register(password="moon-lake-27") is not None


def test_weak_password_on_an_existing_address_gets_the_same_error_as_a_new_one(db, outbox):
    UserFactory(email="amina@example.org")
    with pytest.raises(ValidationFailed) as raised:
        register(password="password1234")
    assert list(raised.value.errors) == ["password"]
    assert outbox() == []


# --- e-mail verification ----------------------------------------------------

def verification_token(outbox):
    return outbox("accounts.verify_email")[-1].context["token"]


def test_verify_email_marks_the_user_verified_once(db, outbox):
    user = register()
    db.session.commit()
    token = verification_token(outbox)

    verified = services.verify_email(token)
    db.session.commit()
    assert verified.user.id == user.id and verified.next_url is None
    assert user.verified_at is not None
    assert audit_verbs(user) == ["user.registered", "user.verified"]

    with pytest.raises(InvalidToken):
        services.verify_email(token)


def test_verification_link_expires(app, db, outbox):
    with time_machine.travel(START, tick=False):
        user = register()
        db.session.commit()
        token = verification_token(outbox)
    max_age = app.config["EMAIL_TOKEN_MAX_AGE"]
    with time_machine.travel(START + timedelta(seconds=max_age - 60), tick=False):
        # Still valid just before the limit (checked without using it up).
        from cade.accounts import tokens
        assert tokens.read_token(token, tokens.VERIFY_EMAIL)[0] == user.id
    with time_machine.travel(START + timedelta(seconds=max_age + 1), tick=False):
        with pytest.raises(TokenExpired):
            services.verify_email(token)
    assert user.verified_at is None


def test_verification_link_dies_when_the_address_changes(db, outbox):
    user = register()
    db.session.commit()
    token = verification_token(outbox)
    user.email = "other@example.org"
    db.session.commit()
    with pytest.raises(InvalidToken):
        services.verify_email(token)


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1IjoxfQ.aaaa.bbbb"])
def test_forged_verification_tokens_are_refused(db, token):
    with pytest.raises(InvalidToken):
        services.verify_email(token)


def test_a_reset_token_is_not_a_verification_token(db, outbox):
    user = UserFactory(unverified=True)
    services.request_password_reset(user.email)
    reset_token = outbox("accounts.reset_password")[0].context["token"]
    with pytest.raises(InvalidToken):
        services.verify_email(reset_token)


def test_resend_verification_sends_a_new_link_only_to_unverified_accounts(db, outbox):
    unverified = UserFactory(unverified=True, email="new@example.org")
    UserFactory(email="done@example.org")

    assert services.resend_verification(" NEW@example.org") is True
    assert services.resend_verification("done@example.org") is False
    assert services.resend_verification("nobody@example.org") is False
    assert services.resend_verification("new@example.org") is True

    sent = outbox("accounts.verify_email")
    assert [n.recipient_id for n in sent] == [unverified.id, unverified.id]
    assert sent[0].idempotency_key != sent[1].idempotency_key
    # Either link works, but only once.
    services.verify_email(sent[0].context["token"])
    with pytest.raises(InvalidToken):
        services.verify_email(sent[1].context["token"])


# --- sign-in ----------------------------------------------------------------

def test_authenticate_returns_the_user_and_records_the_time(db):
    user = UserFactory(email="amina@example.org")
    with time_machine.travel(START, tick=False):
        signed_in = services.authenticate(" Amina@Example.org ", PASSWORD)
    assert signed_in.id == user.id
    assert user.last_login_at == START


def test_unverified_users_can_sign_in(db):
    user = UserFactory(unverified=True)
    assert services.authenticate(user.email, PASSWORD).id == user.id


def test_unknown_address_wrong_password_and_disabled_account_fail_alike(db):
    user = UserFactory(email="amina@example.org")
    UserFactory(email="gone@example.org", active=False)
    messages = set()
    for email, password in [("nobody@example.org", PASSWORD), ("amina@example.org", "wrong password!"),
                            ("gone@example.org", PASSWORD), ("", "")]:
        with pytest.raises(services.AuthenticationFailed) as raised:
            services.authenticate(email, password)
        messages.add(str(raised.value))
    assert len(messages) == 1
    assert user.last_login_at is None


def test_unknown_address_takes_as_long_as_a_wrong_password(db):
    """An unknown address still runs a full password check, so timing tells nothing."""
    user = register(email="real@example.org")  # a real scrypt hash, as in production
    db.session.commit()

    def slowest_of_three(email):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            with pytest.raises(services.AuthenticationFailed):
                services.authenticate(email, "not the password")
            times.append(time.perf_counter() - started)
        return min(times)

    known = slowest_of_three(user.email)
    unknown = slowest_of_three("nobody@example.org")
    assert unknown > known * 0.5


# --- password reset -----------------------------------------------------------

def reset_token(outbox):
    return outbox("accounts.reset_password")[-1].context["token"]


def test_reset_for_an_unknown_address_writes_nothing(db, outbox):
    UserFactory(email="amina@example.org")
    assert services.request_password_reset("nobody@example.org") is False
    db.session.commit()
    assert outbox() == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_reset_password_sets_the_password_once_and_signs_out_everywhere(db, outbox):
    user = UserFactory(email="amina@example.org")
    version = user.session_version
    assert services.request_password_reset("AMINA@example.org") is True
    db.session.commit()
    [message] = outbox("accounts.reset_password")
    assert message.recipient_id == user.id
    token = message.context["token"]

    services.reset_password(token, new_password(GOOD_PASSWORD))
    db.session.commit()

    assert user.session_version == version + 1
    assert services.authenticate("amina@example.org", GOOD_PASSWORD).id == user.id
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate("amina@example.org", PASSWORD)
    assert "user.password_reset" in audit_verbs(user)
    with pytest.raises(InvalidToken):
        services.reset_password(token, new_password("another good passphrase"))


def test_reset_link_expires(app, db, outbox):
    with time_machine.travel(START, tick=False):
        user = UserFactory()
        services.request_password_reset(user.email)
        token = reset_token(outbox)
    with time_machine.travel(START + timedelta(seconds=app.config["RESET_TOKEN_MAX_AGE"] + 1), tick=False):
        with pytest.raises(TokenExpired):
            services.reset_password(token, new_password(GOOD_PASSWORD))
    assert services.authenticate(user.email, PASSWORD).id == user.id


def test_reset_link_dies_when_the_password_changes_another_way(db, outbox):
    user = UserFactory()
    services.request_password_reset(user.email)
    token = reset_token(outbox)
    services.change_password(user, password_change(PASSWORD, GOOD_PASSWORD))
    with pytest.raises(InvalidToken):
        services.check_reset_token(token)


def test_reset_refuses_a_weak_password_and_keeps_the_link_usable(db, outbox):
    user = UserFactory()
    services.request_password_reset(user.email)
    token = reset_token(outbox)
    with pytest.raises(ValidationFailed) as raised:
        services.reset_password(token, new_password("password1234"))
    assert list(raised.value.errors) == ["password"]
    assert services.reset_password(token, new_password(GOOD_PASSWORD)).id == user.id


def test_reset_verifies_an_unverified_address(db, outbox):
    user = UserFactory(unverified=True)
    services.request_password_reset(user.email)
    services.reset_password(reset_token(outbox), new_password(GOOD_PASSWORD))
    assert user.is_verified


def test_no_reset_link_for_a_disabled_account(db, outbox):
    user = UserFactory(active=False)
    assert services.request_password_reset(user.email) is False
    assert outbox() == []


# --- change password and profile --------------------------------------------

def test_change_password_needs_the_current_password(db):
    user = UserFactory()
    with pytest.raises(ValidationFailed) as raised:
        services.change_password(user, password_change("wrong password!", GOOD_PASSWORD))
    assert list(raised.value.errors) == ["current_password"]
    with pytest.raises(ValidationFailed) as raised:
        services.change_password(user, password_change(PASSWORD, "a" * 11))
    assert list(raised.value.errors) == ["new_password"]
    assert user.session_version == 1


def test_change_password_bumps_the_session_version(db):
    user = UserFactory()
    services.change_password(user, password_change(PASSWORD, GOOD_PASSWORD))
    assert user.session_version == 2
    assert services.authenticate(user.email, GOOD_PASSWORD).id == user.id
    assert audit_verbs(user) == ["user.password_changed"]


def test_update_profile_by_self_and_admin_but_not_others(db):
    user = UserFactory(name="Old", locale="en", timezone="UTC")
    admin = UserFactory(roles=["admin"])
    other = UserFactory()

    services.update_profile(user, user.id, profile_of(" New Name ", "pt", "America/Sao_Paulo"))
    assert (user.name, user.locale, user.timezone) == ("New Name", "pt", "America/Sao_Paulo")
    services.update_profile(admin, user.id, profile_of("By Admin", "pt", "America/Sao_Paulo"))
    assert user.name == "By Admin"
    with pytest.raises(PermissionDenied):
        services.update_profile(other, user.id, profile_of("Hacked", "en", "UTC"))
    assert user.name == "By Admin"
    [first, second] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "user.profile_updated")
                                         .order_by(AuditEvent.id))
    assert first.before == {"name": "Old", "locale": "en", "timezone": "UTC"}
    assert first.after["locale"] == "pt"
    assert second.actor_id == admin.id


def test_update_profile_refuses_bad_values(db):
    user = UserFactory()
    with pytest.raises(ValidationFailed) as raised:
        services.update_profile(user, user.id, profile_of("", "xx", "Nowhere/Else"))
    assert set(raised.value.errors) == {"name", "locale", "timezone"}


# --- roles (the policy's own tests: tests/accounts/test_roles.py) ------------

def test_admin_grants_and_revokes_roles_with_audit(db):
    admin = UserFactory(roles=["admin"])
    user = UserFactory()

    assert services.grant_role(admin, user.id, "reviewer") is True
    assert services.grant_role(admin, user.id, "reviewer") is False  # twice changes nothing
    assert user.role_names == ["reviewer"]
    assert services.revoke_role(admin, user.id, "reviewer") is True
    assert services.revoke_role(admin, user.id, "trainer") is False  # not held: nothing to do
    db.session.commit()
    assert user.role_names == []

    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == user.id)
                                     .order_by(AuditEvent.id)))
    assert [(e.verb, e.actor_id, e.after) for e in events] == [
        ("user.role_granted", admin.id, {"roles": ["reviewer"]}),
        ("user.role_revoked", admin.id, {"roles": []}),
    ]


@pytest.mark.parametrize("actor_roles", [[], ["reviewer"], ["trainer"]])
def test_only_admins_change_roles(db, actor_roles):
    actor = UserFactory(roles=actor_roles)
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        services.grant_role(actor, user.id, "admin")
    with pytest.raises(PermissionDenied):
        services.revoke_role(actor, actor.id, actor_roles[0] if actor_roles else "admin")
    assert user.role_names == [] and actor.role_names == actor_roles


def test_unknown_role_is_refused(db):
    admin = UserFactory(roles=["admin"])
    with pytest.raises(ValidationFailed):
        services.grant_role(admin, UserFactory().id, "superuser")


def test_admin_steps_down_only_while_another_admin_remains(db):
    admin = UserFactory(roles=["admin"])
    with pytest.raises(InvalidTransition):
        services.revoke_role(admin, admin.id, "admin")
    assert admin.has_role("admin")
    UserFactory(roles=["admin"])
    assert services.revoke_role(admin, admin.id, "admin") is True
    assert not admin.has_role("admin")


# --- create_admin -------------------------------------------------------------

def test_create_admin_creates_a_verified_administrator(db):
    user, done = services.create_admin(admin_input(" Boss@Example.org ", GOOD_PASSWORD))
    assert done == ["created"]
    assert user.email == "boss@example.org"
    assert user.is_verified and user.has_role("admin")
    assert services.authenticate("boss@example.org", GOOD_PASSWORD).id == user.id


def test_create_admin_promotes_and_verifies_an_existing_account(db):
    existing = UserFactory(unverified=True, email="boss@example.org")
    user, done = services.create_admin(admin_input("boss@example.org"))
    assert user.id == existing.id
    assert done == ["verified", "promoted"]
    assert user.is_verified and user.has_role("admin")
    assert services.authenticate("boss@example.org", PASSWORD).id == user.id
    assert services.create_admin(admin_input("boss@example.org"))[1] == []


@pytest.mark.parametrize("email", ["x@@example.org", "a..b@example.org", "boss@", "boss@example", ".boss@example.org"])
def test_create_admin_refuses_a_malformed_address(db, email):
    with pytest.raises(ValidationFailed) as raised:
        services.create_admin(admin_input(email, GOOD_PASSWORD))
    assert raised.value.errors == {"email": ["Enter an e-mail address such as name@example.org."]}
    assert count_users(db) == 0


@pytest.mark.parametrize("email", ["x@@example.org", "a..b@example.org", "a b@example.org"])
def test_register_refuses_a_malformed_address(db, outbox, email):
    with pytest.raises(ValidationFailed) as raised:
        register(email=email)
    assert list(raised.value.errors) == ["email"]
    assert count_users(db) == 0 and outbox() == []


def test_create_admin_refuses_weak_or_missing_passwords(db):
    with pytest.raises(ValidationFailed) as raised:
        services.create_admin(admin_input("boss@example.org", "password1234"))
    assert list(raised.value.errors) == ["password"]
    with pytest.raises(ValidationFailed):
        services.create_admin(admin_input("boss@example.org"))
    assert count_users(db) == 0
