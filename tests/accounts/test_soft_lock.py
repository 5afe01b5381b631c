"""The soft lock: repeated wrong passwords lock an account for a while, silently, and a reset lifts the lock."""

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from cade.accounts import passwords, services
from cade.accounts.models import User
from cade.accounts.services.signing_in import is_locked, note_failed_sign_in, note_successful_sign_in
from cade.core.audit import AuditEvent
from cade.extensions import db as _db
from tests.concurrency import run_side_by_side
from tests.factories import PASSWORD, UserFactory

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
WRONG = "not the password at all"
NEW_PASSWORD = "a new and rather long passphrase"
LIMIT = 5  # the default of SIGN_IN_LOCK_AFTER


def fail(email: str, password: str = WRONG) -> str:
    """One refused sign-in, committed as the sign-in page commits it; the message shown."""
    with pytest.raises(services.AuthenticationFailed) as refused:
        services.authenticate(email, password)
    _db.session.commit()
    return str(refused.value)


def reload(user_id: int) -> User:
    _db.session.expire_all()
    return _db.session.get(User, user_id)


def lock_events(user) -> list[AuditEvent]:
    return list(_db.session.scalars(select(AuditEvent).where(
        AuditEvent.verb == "user.sign_in_locked", AuditEvent.object_id == user.id).order_by(AuditEvent.id)))


# --- counting and locking ---------------------------------------------------------

def test_the_fifth_wrong_password_in_a_row_locks_the_account_for_a_minute(db):
    user = UserFactory()
    with time_machine.travel(START, tick=False):
        for _ in range(LIMIT - 1):
            fail(user.email)
        assert reload(user.id).failed_sign_ins == LIMIT - 1 and not is_locked(user)
        fail(user.email)
        user = reload(user.id)
        assert is_locked(user) and user.locked_until == START + timedelta(minutes=1)
    [event] = lock_events(user)
    assert event.actor_id is None
    assert event.after == {"failed_sign_ins": LIMIT, "locked_until": (START + timedelta(minutes=1)).isoformat()}


def test_during_the_lock_the_right_password_is_refused_with_the_same_message(db):
    user = UserFactory()
    wrong_message = fail(user.email)
    for _ in range(LIMIT - 1):
        fail(user.email)
    assert is_locked(reload(user.id))
    assert fail(user.email, PASSWORD) == wrong_message == fail("nobody@example.org", PASSWORD)
    user = reload(user.id)
    assert user.last_login_at is None
    # Tries during the lock teach nothing, so they do not lengthen it.
    assert user.failed_sign_ins == LIMIT and len(lock_events(user)) == 1


def test_once_the_lock_has_run_out_the_right_password_works_and_the_count_starts_again(db):
    user = UserFactory(failed_sign_ins=LIMIT, locked_until=START + timedelta(minutes=1))
    with time_machine.travel(START + timedelta(seconds=30), tick=False):
        fail(user.email, PASSWORD)
    with time_machine.travel(START + timedelta(minutes=1, seconds=1), tick=False):
        assert services.authenticate(user.email, PASSWORD).id == user.id
        db.session.commit()
    user = reload(user.id)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


def test_each_failure_after_a_lock_locks_again_for_twice_as_long_up_to_the_cap(app, db):
    user = UserFactory()
    lengths = []
    now = START
    for _ in range(LIMIT + 6):
        with time_machine.travel(now, tick=False):
            fail(user.email)
        user = reload(user.id)
        if user.locked_until is not None and user.locked_until > now:
            lengths.append(user.locked_until - now)
            now = user.locked_until + timedelta(seconds=1)  # wait the lock out, then try again
    assert lengths == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15)]
    assert len(lock_events(user)) == 7


def test_a_successful_sign_in_forgets_the_failures(db):
    user = UserFactory()
    for _ in range(LIMIT - 1):
        fail(user.email)
    services.authenticate(user.email, PASSWORD)
    db.session.commit()
    assert reload(user.id).failed_sign_ins == 0
    for _ in range(LIMIT - 1):
        fail(user.email)
    assert not is_locked(reload(user.id))


def test_the_limit_and_the_cap_come_from_the_configuration(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_LOCK_AFTER", 2)
    monkeypatch.setitem(app.config, "SIGN_IN_LOCK_MAX", 90)
    user = UserFactory()
    with time_machine.travel(START, tick=False):
        fail(user.email)
        assert not is_locked(reload(user.id))
        fail(user.email)
        assert reload(user.id).locked_until == START + timedelta(minutes=1)
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        fail(user.email)
        assert reload(user.id).locked_until == START + timedelta(minutes=2, seconds=90)  # the cap


def test_an_unknown_address_writes_nothing(db):
    for _ in range(LIMIT + 1):
        fail("nobody@example.org")
    assert db.session.scalar(select(AuditEvent)) is None


def test_a_wrong_password_on_a_disabled_account_counts_and_still_says_nothing_more(db):
    user = UserFactory(active=False)
    assert fail(user.email) == fail(user.email, PASSWORD) == fail("nobody@example.org")
    assert reload(user.id).failed_sign_ins == 1


# --- the second factor's step, which the two-factor sign-in calls ---------------------

def test_with_a_second_factor_the_password_alone_does_not_forget_the_failures(db):
    user = UserFactory(totp_secret="JBSWY3DPEHPK3PXP", totp_enabled_at=START)
    for _ in range(LIMIT - 1):
        note_failed_sign_in(user)  # wrong codes, as the second step counts them
    db.session.commit()
    services.authenticate(user.email, PASSWORD)
    db.session.commit()
    # Otherwise someone who knows the password could type it again between every few codes they guess.
    assert reload(user.id).failed_sign_ins == LIMIT - 1
    assert note_failed_sign_in(reload(user.id)) is True
    db.session.commit()
    assert is_locked(reload(user.id))
    note_successful_sign_in(reload(user.id))  # the right code, after the lock
    db.session.commit()
    user = reload(user.id)
    assert (user.failed_sign_ins, user.locked_until, is_locked(user)) == (0, None, False)


# --- a reset lifts the lock -------------------------------------------------------

def test_a_password_reset_lifts_the_lock_and_says_so_in_the_audit(db, outbox):
    user = UserFactory()
    for _ in range(LIMIT):
        fail(user.email)
    locked_until = reload(user.id).locked_until
    assert services.request_password_reset(user.email) is True
    db.session.commit()
    token = outbox("accounts.reset_password")[-1].context["token"]
    services.reset_password(token, services.PasswordResetInput.from_input({"password": NEW_PASSWORD}))
    db.session.commit()

    assert services.authenticate(user.email, NEW_PASSWORD).id == user.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "user.password_reset"))
    assert event.before == {"failed_sign_ins": LIMIT, "locked_until": locked_until.isoformat()}
    assert event.after == {"failed_sign_ins": 0, "locked_until": None}


def test_a_reset_without_a_lock_records_no_lock(db, outbox):
    user = UserFactory()
    services.request_password_reset(user.email)
    db.session.commit()
    token = outbox("accounts.reset_password")[-1].context["token"]
    services.reset_password(token, services.PasswordResetInput.from_input({"password": NEW_PASSWORD}))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "user.password_reset"))
    assert (event.before, event.after) == (None, None)


# --- timing -------------------------------------------------------------------------

def test_a_locked_account_takes_as_long_to_refuse_as_a_wrong_password(db):
    """The lock is checked after the password: the answer's time does not tell a locked account apart."""
    user = UserFactory(password_hash=passwords.hash_password(PASSWORD))  # a real scrypt hash, as in production
    locked = UserFactory(password_hash=passwords.hash_password(PASSWORD), failed_sign_ins=LIMIT,
                         locked_until=datetime.now(timezone.utc) + timedelta(hours=1))

    def quickest_of_three(email):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            with pytest.raises(services.AuthenticationFailed):
                services.authenticate(email, PASSWORD if email == locked.email else WRONG)
            times.append(time.perf_counter() - started)
            db.session.rollback()  # keep the wrong passwords from locking `user` meanwhile
        return min(times)

    assert quickest_of_three(locked.email) > quickest_of_three(user.email) * 0.5
    assert quickest_of_three("nobody@example.org") > quickest_of_three(user.email) * 0.5


# --- two wrong passwords at the same moment -------------------------------------------

def test_two_wrong_passwords_at_the_same_moment_both_count(app, db):
    user = UserFactory(failed_sign_ins=LIMIT - 2)
    email, user_id = user.email, user.id

    def wrong_password():
        with pytest.raises(services.AuthenticationFailed):
            services.authenticate(email, WRONG)
        # The page commits a failure; anything raised here would be rolled back by run_side_by_side.

    # Both read the account (count LIMIT - 2) before either writes: a count kept in Python would end at LIMIT - 1.
    assert run_side_by_side(app, [wrong_password, wrong_password], pause_after="from users") == ["done", "done"]
    user = reload(user_id)
    assert user.failed_sign_ins == LIMIT and is_locked(user)
    assert len(lock_events(user)) == 1


# --- the sign-in page ------------------------------------------------------------------

def _login(client, email, password):
    return client.post("/auth/login", data={"email": email, "password": password})


def _without_address(response, email) -> str:
    return response.get_data(as_text=True).replace(email, "ADDRESS")


def test_the_page_answers_a_locked_account_an_unknown_address_and_a_wrong_password_alike(db, client):
    user = UserFactory(email="amina@example.org")
    wrong = _login(client, user.email, WRONG)
    unknown = _login(client, "nobody@example.org", PASSWORD)
    for _ in range(LIMIT - 1):
        _login(client, user.email, WRONG)
    assert is_locked(reload(user.id))  # the page commits the failures
    locked = _login(client, user.email, PASSWORD)

    assert wrong.status_code == unknown.status_code == locked.status_code == 200
    assert "The e-mail address or password is not correct." in wrong.get_data(as_text=True)
    assert (_without_address(wrong, user.email) == _without_address(unknown, "nobody@example.org")
            == _without_address(locked, user.email))
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_the_page_signs_in_once_the_lock_has_run_out(db, client):
    user = UserFactory(failed_sign_ins=LIMIT, locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert reload(user.id).failed_sign_ins == 0


def test_a_reset_through_the_pages_lets_a_locked_person_in(db, client, outbox):
    user = UserFactory(failed_sign_ins=LIMIT, locked_until=datetime.now(timezone.utc) + timedelta(minutes=10))
    client.post("/auth/reset", data={"email": user.email})
    token = outbox("accounts.reset_password")[-1].context["token"]
    response = client.post(f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _login(client, user.email, NEW_PASSWORD).status_code == 302


def test_the_rate_limits_of_sign_in_and_reset_stay_in_front_of_the_lock(limited_app, db):
    """The lock counts per account; the per-visitor limits still stop a guesser spraying many accounts."""
    limited = limited_app.test_client()
    sign_ins = [limited.post("/auth/login", data={"email": f"p{i}@example.org", "password": WRONG}).status_code
                for i in range(11)]
    assert sign_ins[-1] == 429 and 429 not in sign_ins[:10]
    resets = [limited.post("/auth/reset", data={"email": f"p{i}@example.org"}).status_code for i in range(6)]
    assert resets[-1] == 429 and 429 not in resets[:5]
    links = [limited.post("/auth/reset/not-a-token", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
             .status_code for _ in range(11)]
    assert links[-1] == 429 and 429 not in links[:10]
    assert re.search(r"Too many attempts", limited.post("/auth/login", data={}).get_data(as_text=True))
