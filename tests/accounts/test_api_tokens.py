"""Personal API tokens: made with the password, kept as a digest, refused once expired, revoked or disabled."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.accounts import api_tokens
from cade.accounts.api_tokens import (
    MAX_LIVE_TOKENS,
    TokenInput,
    authenticate_bearer,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    token_has_scope,
)
from cade.accounts.models import ApiToken, User, UserRole
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import NotFound, Unauthenticated, ValidationFailed
from tests.concurrency import run_side_by_side
from tests.factories import PASSWORD, UserFactory


@pytest.fixture()
def owner(db):
    return UserFactory(name="Olu Owner", timezone="Africa/Lagos")


def make(user, name="laptop", scopes=("read",), days=None, password=PASSWORD, now=None, commit=True):
    data = {"name": name, "scopes": list(scopes)}
    if days is not None:
        data["expires_in_days"] = days
    token, raw = create_api_token(user, TokenInput.from_input(data), password, now=now)
    if commit:
        from cade.extensions import db

        db.session.commit()
    return token, raw


def field_errors(excinfo) -> dict:
    return {name: [str(m) for m in messages] for name, messages in excinfo.value.errors.items()}


# --- creating ------------------------------------------------------------------------------------------------

def test_a_token_is_shown_once_and_only_its_digest_and_prefix_are_kept(db, owner):
    token, raw = make(owner, days=30)
    assert raw.startswith("cade_") and len(raw) == 48
    assert token.prefix == raw[:12]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.scopes == ["read"]
    assert token.expires_at - token.created_at == timedelta(days=30)
    stored = db.session.execute(select(ApiToken.__table__)).one()._asdict()
    assert raw not in repr(stored)


def test_the_expiry_defaults_to_ninety_days(db, owner):
    token, _raw = make(owner)
    assert token.expires_at - token.created_at == timedelta(days=90)


def test_creating_is_audited_without_the_token_and_the_owner_is_told(db, owner, outbox):
    token, raw = make(owner)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "api_token.created"))
    assert (event.actor_id, event.object_id) == (owner.id, token.id)
    assert event.after["prefix"] == token.prefix and raw not in repr(event.after) and token.token_hash not in repr(
        event.after)
    [notice] = outbox("accounts.api_token_created")
    assert notice.recipient_id == owner.id
    assert raw not in repr(notice.context) and token.token_hash not in repr(notice.context)
    assert notice.context["name"] == "laptop" and notice.context["prefix"] == token.prefix


def test_the_notice_renders_in_the_owners_zone(db, owner, outbox):
    from cade.notifications.rendering import render_notification

    make(owner)
    subject, text, html = render_notification(outbox("accounts.api_token_created")[0])
    assert "API token" in subject and "laptop" in text and "/auth/profile#api-tokens" in text and "laptop" in html


def test_a_wrong_password_is_refused_on_the_password_field_and_nothing_is_made(db, owner, outbox):
    with pytest.raises(ValidationFailed) as excinfo:
        make(owner, password="not my password at all")
    assert list(field_errors(excinfo)) == ["password"]
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0 and outbox() == []


@pytest.mark.parametrize("data,bad", [
    ({"name": "", "scopes": ["read"]}, "name"),
    ({"name": "x" * 101, "scopes": ["read"]}, "name"),
    ({"name": "ok", "scopes": []}, "scopes"),
    ({"name": "ok", "scopes": ["write"]}, "scopes"),
    ({"name": "ok", "scopes": ["read"], "expires_in_days": "0"}, "expires_in_days"),
    ({"name": "ok", "scopes": ["read"], "expires_in_days": "366"}, "expires_in_days"),
    ({"name": "ok", "scopes": ["read"], "expires_in_days": "ninety"}, "expires_in_days"),
])
def test_bad_input_names_its_field(data, bad):
    with pytest.raises(ValidationFailed) as excinfo:
        TokenInput.from_input(data)
    assert list(excinfo.value.errors) == [bad]


def test_admin_read_is_refused_to_someone_who_is_not_an_administrator(db, owner):
    with pytest.raises(ValidationFailed) as excinfo:
        make(owner, scopes=("read", "admin-read"))
    assert list(field_errors(excinfo)) == ["scopes"]


def test_an_administrator_may_hold_admin_read_and_loses_it_with_the_role(db, admin):
    token, _raw = make(admin, scopes=("read", "admin-read"))
    assert token_has_scope(token, "admin-read") and token_has_scope(token, "read")
    db.session.execute(UserRole.__table__.delete().where(UserRole.user_id == admin.id))
    db.session.commit()
    db.session.expire_all()
    token = db.session.get(ApiToken, token.id)
    assert not token_has_scope(token, "admin-read") and token_has_scope(token, "read")


def test_a_reader_token_has_no_admin_scope(db, owner):
    token, _raw = make(owner)
    assert not token_has_scope(token, "admin-read") and not token_has_scope(token, "anything")


def test_names_are_unique_among_live_tokens_only(db, owner):
    make(owner, name="Laptop")
    with pytest.raises(ValidationFailed) as excinfo:
        make(owner, name="laptop")
    assert list(field_errors(excinfo)) == ["name"]
    first = db.session.scalar(select(ApiToken))
    revoke_api_token(owner, first.id)
    make(owner, name="laptop")  # the revoked one no longer holds the name
    make(UserFactory(), name="laptop")  # nor does another person's


def test_an_expired_token_frees_its_name(db, owner):
    long_ago = utcnow() - timedelta(days=10)
    expired, _raw = make(owner, days=1, now=long_ago)
    fresh, _raw = make(owner)  # the same name again: refused while the first one was live
    assert (expired.name, fresh.name) == ("laptop", "laptop") and expired.id != fresh.id
    assert expired.expires_at < utcnow() < fresh.expires_at


def test_at_most_twenty_live_tokens(db, owner):
    for n in range(MAX_LIVE_TOKENS):
        make(owner, name=f"t{n}", commit=False)
    with pytest.raises(ValidationFailed) as excinfo:
        make(owner, name="one more")
    assert "name" in field_errors(excinfo)


def test_two_clicks_at_once_make_one_token(app, db, owner):
    owner_id = owner.id

    def create():
        user = db.session.get(User, owner_id)
        create_api_token(user, TokenInput.from_input({"name": "twice", "scopes": ["read"]}), PASSWORD)

    outcomes = run_side_by_side(app, [create, create], pause_after="from api_tokens")
    assert sorted(map(type, outcomes), key=str) == sorted([str, ValidationFailed], key=str)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1


# --- revoking ------------------------------------------------------------------------------------------------

def test_revoking_stops_the_token_is_audited_once_and_can_be_repeated(db, owner):
    token, raw = make(owner)
    revoke_api_token(owner, token.id)
    db.session.commit()
    again = revoke_api_token(owner, token.id)
    db.session.commit()
    assert again.revoked_at is not None
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.verb == "api_token.revoked")) == 1
    with pytest.raises(Unauthenticated):
        authenticate_bearer(f"Bearer {raw}")


def test_someone_elses_token_is_not_found(db, owner, admin):
    token, raw = make(owner)
    for probe in (token.id, token.id + 1000, True, "1"):
        with pytest.raises(NotFound):
            revoke_api_token(admin, probe)
    assert authenticate_bearer(f"Bearer {raw}").id == token.id


def test_the_list_holds_only_the_owners_tokens_newest_first(db, owner):
    older = utcnow() - timedelta(days=1)
    first, _ = make(owner, name="one", now=older)
    second, _ = make(owner, name="two")
    make(UserFactory(), name="other")
    assert [t.id for t in list_api_tokens(owner)] == [second.id, first.id]


# --- authenticating ------------------------------------------------------------------------------------------

def test_a_live_token_authenticates_its_user_and_notes_the_use(db, owner):
    token, raw = make(owner)
    found = authenticate_bearer(f"Bearer {raw}")
    assert found.id == token.id and found.user.id == owner.id and found.last_used_at is not None
    db.session.commit()
    assert authenticate_bearer(f"bearer  {raw} ").id == token.id  # the scheme is case-insensitive (RFC 9110)


def test_last_use_is_written_at_most_once_a_minute(db, owner):
    token, raw = make(owner)
    start = utcnow()
    authenticate_bearer(f"Bearer {raw}", now=start)
    authenticate_bearer(f"Bearer {raw}", now=start + timedelta(seconds=30))
    db.session.commit()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    authenticate_bearer(f"Bearer {raw}", now=start + timedelta(seconds=61))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start + timedelta(seconds=61)


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token cade_x", "cade_" + "a" * 43,
    "Bearer not-a-token", "Bearer cade_" + "a" * 42, "Bearer cade_" + "a" * 43 + "x", "Bearer cade_" + "é" * 43,
    "Bearer cade_" + "a" * 43,  # well formed, unknown
])
def test_missing_malformed_or_unknown_credentials_are_unauthenticated(db, owner, header):
    make(owner)
    with pytest.raises(Unauthenticated) as excinfo:
        authenticate_bearer(header)
    assert excinfo.value.status == 401


def test_the_token_without_the_bearer_scheme_is_refused(db, owner):
    _token, raw = make(owner)
    with pytest.raises(Unauthenticated):
        authenticate_bearer(raw)


def test_an_expired_token_is_refused(db, owner):
    token, raw = make(owner, days=1)
    assert authenticate_bearer(f"Bearer {raw}", now=token.expires_at - timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate_bearer(f"Bearer {raw}", now=token.expires_at)


def test_a_disabled_accounts_token_is_refused(db, owner, admin):
    from cade.accounts.services import set_user_active

    _token, raw = make(owner)
    set_user_active(admin, owner, False)
    db.session.commit()
    with pytest.raises(Unauthenticated):
        authenticate_bearer(f"Bearer {raw}")


def test_lookup_is_by_digest(db, owner):
    # No token is compared in clear: a row whose digest matches is the only way in.
    token, raw = make(owner)
    assert api_tokens.digest(raw) == token.token_hash
    db.session.execute(ApiToken.__table__.update().values(token_hash=api_tokens.digest(raw + "x")))
    db.session.commit()
    with pytest.raises(Unauthenticated):
        authenticate_bearer(f"Bearer {raw}")
