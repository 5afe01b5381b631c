"""Two-factor sign-in (issue 17, point 1): set-up, the code step, recovery codes, remembered devices, turning it off,
an administrator's reset, and the roles that require it."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cade.accounts import two_factor
from cade.accounts.models import RecoveryCode, RememberedDevice, User
from cade.accounts.services import second_factor
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import ValidationFailed
from tests.factories import PASSWORD, UserFactory


def enrol(db, user) -> list[str]:
    """Turn the second factor on for `user` through the service, as the set-up page does."""
    second_factor.start_enrolment(user)
    codes = second_factor.confirm_enrolment(user, two_factor.current_code(user.totp_secret))
    db.session.commit()
    return codes


def next_code(db, user) -> str:
    """A code the service has not seen: as if the next 30 seconds had come (each step is accepted once)."""
    db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
    db.session.commit()
    db.session.refresh(user)
    return two_factor.current_code(user.totp_secret)


def signed_in(client) -> bool:
    return client.get("/auth/profile").status_code == 200


def audit_verbs(db, user) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_id == user.id,
                                                                 AuditEvent.object_type == "User")
                                   .order_by(AuditEvent.id)))


# ------------------------------------------------------------------ the pieces


def test_a_code_is_accepted_in_its_window_only():
    secret = two_factor.new_secret()
    now = 1_800_000_000
    code = two_factor.current_code(secret, at=now)
    assert two_factor.totp_step(secret, code, at=now) == now // 30
    assert two_factor.totp_step(secret, code, at=now + 30) is not None  # a phone 30 s behind
    assert two_factor.totp_step(secret, code, at=now + 95) is None
    assert two_factor.totp_step(secret, "12345", at=now) is None
    assert two_factor.totp_step(secret, "abcdef", at=now) is None


def test_recovery_codes_are_ten_distinct_and_forgiving_of_how_they_are_typed():
    codes = two_factor.new_recovery_codes()
    assert len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert two_factor.code_digest(codes[0]) == two_factor.code_digest(" " + codes[0].upper().replace("-", " "))


def test_the_qr_code_is_inline_svg_of_the_otpauth_address():
    secret = two_factor.new_secret()
    uri = two_factor.provisioning_uri(secret, "ana@example.org", "CADE Grants")
    assert uri.startswith(f"otpauth://totp/CADE%20Grants:ana%40example.org?secret={secret}")
    svg = two_factor.qr_svg(uri, "QR")
    assert svg.startswith("<svg") and "<title>QR</title>" in svg and "<script" not in svg


# ------------------------------------------------------------------ set-up


def test_set_up_shows_one_secret_until_the_first_code_turns_it_on(client, db, login, outbox):
    user = login(UserFactory())
    page = client.get("/auth/two-factor/enrol")
    assert page.status_code == 200 and b"<svg" in page.data
    secret = db.session.get(User, user.id).totp_secret
    assert two_factor.grouped_secret(secret).encode() in page.data
    assert two_factor.grouped_secret(secret).encode() in client.get("/auth/two-factor/enrol").data  # same on reload
    assert not db.session.get(User, user.id).has_two_factor

    wrong = client.post("/auth/two-factor/enrol", data={"code": "000000"})
    assert wrong.status_code == 200 and b"That code is not right" in wrong.data
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor

    shown = client.post("/auth/two-factor/enrol", data={"code": two_factor.current_code(secret)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.get_data(as_text=True))
    assert len(codes) == 10
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.has_two_factor
    stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert stored == {two_factor.code_digest(c) for c in codes}  # digests only, never the codes
    assert "user.two_factor_enabled" in audit_verbs(db, user)
    assert [n.context["change"] for n in outbox("accounts.two_factor_changed")] == ["enabled"]
    assert client.get("/auth/two-factor/enrol").status_code == 302  # on already: back to the settings


# ------------------------------------------------------------------ signing in


def test_signing_in_asks_for_the_code_after_the_password(client, db, auth):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    answer = auth.login(user)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/auth/login/code")
    assert not signed_in(client)  # the password alone opens nothing

    wrong = client.post("/auth/login/code", data={"code": "123456"})
    assert wrong.status_code == 200 and b"That code is not right" in wrong.data
    assert not signed_in(client)
    assert client.post("/auth/login/code", data={"code": next_code(db, user)}).status_code == 302
    assert signed_in(client)


def test_a_code_is_never_accepted_twice(client, db, auth):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    code = next_code(db, user)
    auth.login(user)
    assert client.post("/auth/login/code", data={"code": code}).status_code == 302
    auth.logout()
    auth.login(user)
    replay = client.post("/auth/login/code", data={"code": code})
    assert replay.status_code == 200 and b"was used already" in replay.data
    assert not signed_in(client)


def test_a_recovery_code_works_once(client, db, auth):
    user = UserFactory()
    db.session.commit()
    codes = enrol(db, user)
    auth.login(user)
    assert client.post("/auth/login/code", data={"code": codes[3].upper()}).status_code == 302
    assert signed_in(client)
    assert second_factor.recovery_codes_left(user) == 9
    auth.logout()
    auth.login(user)
    again = client.post("/auth/login/code", data={"code": codes[3]})
    assert again.status_code == 200 and b"was used already" in again.data
    assert "user.recovery_code_used" in audit_verbs(db, user)


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, client, db, auth):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    auth.login(user)
    for _ in range(app.config.get("SIGN_IN_LOCK_AFTER", 5)):
        client.post("/auth/login/code", data={"code": "000000"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until > utcnow()
    refused = client.post("/auth/login/code", data={"code": next_code(db, user)})  # even the right one
    assert refused.status_code == 200 and not signed_in(client)


def test_the_code_step_expires(app, client, db, auth):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    auth.login(user)
    with client.session_transaction() as session:
        pending = dict(session["2fa_pending"])
        pending["at"] -= app.config["TWO_FACTOR_PENDING_SECONDS"] + 1
        session["2fa_pending"] = pending
    late = client.post("/auth/login/code", data={"code": next_code(db, user)})
    assert late.status_code == 302 and late.headers["Location"].endswith("/auth/login")
    assert not signed_in(client)
    assert client.get("/auth/login/code").headers["Location"].endswith("/auth/login")  # never started


def test_a_remembered_device_skips_the_code_for_thirty_days_at_most(client, db, auth):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    auth.login(user)
    answer = client.post("/auth/login/code", data={"code": next_code(db, user), "remember": "y"})
    cookie = answer.headers["Set-Cookie"]
    assert "cade_device=" in cookie and "HttpOnly" in cookie and "Path=/auth/login" in cookie
    assert "Max-Age=2592000" in cookie
    device = db.session.scalar(select(RememberedDevice))
    assert timedelta(days=29) < device.expires_at - utcnow() <= timedelta(days=30)
    auth.logout()
    assert auth.login(user).headers["Location"] == "/"  # no code asked
    assert signed_in(client)

    auth.logout()
    db.session.execute(update(RememberedDevice).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert auth.login(user).headers["Location"].endswith("/auth/login/code")


def test_a_new_password_forgets_every_remembered_device(client, db, login):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    second_factor.remember_device(user)
    db.session.commit()
    login(user)
    changed = client.post("/auth/profile/password", data={"password-current_password": PASSWORD,
                                                          "password-new_password": "a brand new passphrase",
                                                          "password-confirm": "a brand new passphrase"})
    assert changed.status_code == 302
    assert db.session.scalar(select(RememberedDevice)) is None


def test_the_verification_link_does_not_step_around_the_code(client, db):
    from cade.accounts import tokens

    user = UserFactory(unverified=True)
    db.session.commit()
    enrol(db, user)
    answer = client.get(f"/auth/verify/{tokens.make_token(user, tokens.VERIFY_EMAIL)}")
    assert "/auth/login" in answer.headers["Location"]
    assert not signed_in(client)


# ------------------------------------------------------------------ managing it


def test_new_recovery_codes_replace_the_old(client, db, login):
    user = UserFactory()
    db.session.commit()
    old = enrol(db, user)
    login(user)
    page = client.post("/auth/two-factor/recovery-codes")
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(ValidationFailed):
        second_factor.check_code(user, old[0])
    assert second_factor.check_code(user, new[0]) == "recovery"


def test_turning_it_off_needs_a_recent_sign_in_and_is_refused_where_a_role_requires_it(app, client, db, login,
                                                                                       outbox):
    user = UserFactory(roles=["reviewer"])
    enrol(db, user)
    login(user)
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ["reviewer"]
    try:
        client.post("/auth/two-factor/disable")
        db.session.expire_all()
        assert db.session.get(User, user.id).has_two_factor
    finally:
        app.config["TWO_FACTOR_REQUIRED_ROLES"] = []
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 3600
    asked = client.post("/auth/two-factor/disable")
    assert b"Confirm it is you" in asked.data
    db.session.expire_all()
    assert db.session.get(User, user.id).has_two_factor
    done = client.post("/auth/two-factor/disable", data={"reauth-password": PASSWORD,
                                                         "reauth-code": next_code(db, user)})
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert not user.has_two_factor and user.totp_secret is None
    assert db.session.scalar(select(RecoveryCode)) is None
    assert [n.context["change"] for n in outbox("accounts.two_factor_changed")] == ["enabled", "disabled"]


def test_an_administrator_resets_a_lost_second_factor(client, db, login, admin, outbox):
    person = UserFactory(name="Lost Phone")
    db.session.commit()
    enrol(db, person)
    version = person.session_version
    other = login(UserFactory())
    assert client.get(f"/auth/admin/users/{person.id}/two-factor").status_code == 404
    assert client.post(f"/auth/admin/users/{person.id}/two-factor").status_code == 404
    login(admin)
    assert b"Reset two-factor sign-in" in client.get(f"/auth/admin/users/{person.id}/two-factor").data
    assert client.post(f"/auth/admin/users/{person.id}/two-factor").status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert not person.has_two_factor and person.session_version == version + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "user.two_factor_reset"))
    assert event.actor_id == admin.id and event.object_id == person.id
    assert outbox("accounts.two_factor_changed")[-1].context == {"change": "reset", "by": admin.name}
    # Not one's own, and not twice.
    enrol(db, admin)
    client.post(f"/auth/admin/users/{admin.id}/two-factor")
    db.session.expire_all()
    assert db.session.get(User, admin.id).has_two_factor
    assert other.has_two_factor is False


def test_a_role_that_requires_it_sends_the_person_to_set_it_up(app, client, db, login):
    user = login(UserFactory(roles=["admin"]))
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ["admin"]
    try:
        page = client.get("/admin/audit")
        assert page.status_code == 302 and page.headers["Location"].endswith("/auth/two-factor")
        assert b"Your role requires two-factor sign-in" in client.get("/auth/two-factor").data
        assert client.post("/auth/profile", data={"name": "x"}).status_code == 403
        assert client.get("/healthz").status_code == 200
        enrol(db, user)
        assert client.get("/admin/audit").status_code == 200
    finally:
        app.config["TWO_FACTOR_REQUIRED_ROLES"] = []
