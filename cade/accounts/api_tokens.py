"""Personal API tokens: made on the profile page, shown once, kept as a digest, sent as `Authorization: Bearer`.

A token is `cade_` followed by 32 random bytes (secrets.token_urlsafe): 256
bits that no one guesses, so its SHA-256 digest is all the database keeps and
all a look-up needs (an index on the digest, no secret compared character by
character). Its first characters (`prefix`) stay in clear so that its owner
can tell tokens apart on the profile page and in the audit trail.

A token is *live* until it expires or is revoked; a disabled account's tokens
stop at once. Scopes are "read" (what the owner may read) and "admin-read"
(reports), which an administrator alone may hold, and which ends with their
administrator role.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from cade.accounts import passwords
from cade.accounts.models import ApiToken, User
from cade.core.audit import record_event
from cade.core.commands import Codes, Command, FieldErrors, Integer, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import NotFound, Unauthenticated, ValidationFailed
from cade.core.permissions import is_admin
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.notifications.services import notify

SCOPES = ("read", "admin-read")
ADMIN_SCOPE = "admin-read"
TOKEN_START = "cade_"
PREFIX_LENGTH = 12
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
MAX_LIVE_TOKENS = 20
# last_used_at is a hint for its owner, not a log: one write a minute at most per token.
LAST_USE_PRECISION = timedelta(minutes=1)
# token_urlsafe(32) gives 43 characters of the URL-safe alphabet.
_TOKEN = re.compile(r"^cade_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class ExpiryDays(Integer):
    """Days until the token expires; DEFAULT_EXPIRY_DAYS when left empty."""

    low: int = 1
    high: int = MAX_EXPIRY_DAYS
    required: bool = False

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            return DEFAULT_EXPIRY_DAYS
        return super().clean(raw, cleaning)


@dataclass(frozen=True)
class TokenInput(Command):
    """What a person chooses for a new token: its name, its scopes and how many days it lives."""

    name: str | None = field(Text(max_len=100, required=True))
    scopes: list[str] = field(Codes(SCOPES), default_factory=list)
    expires_in_days: int | None = field(ExpiryDays())

    def check(self, errors: FieldErrors) -> None:
        if "scopes" not in errors and not self.scopes:
            errors.add("scopes", _l("Choose at least one scope."))


def digest(raw_token: str) -> str:
    """The SHA-256 hex digest a token is stored and found by."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def is_live(token: ApiToken, now: datetime | None = None) -> bool:
    """Not revoked and not yet expired."""
    now = now or utcnow()
    return token.revoked_at is None and token.expires_at > now


def _live_tokens(user_id: int, now: datetime) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)))


def list_api_tokens(user: User) -> list[ApiToken]:
    """Every token of `user`, newest first (revoked and expired ones too: their owner may wonder where they went)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_api_token(actor: User, data: TokenInput, password: str, now: datetime | None = None
                     ) -> tuple[ApiToken, str]:
    """Make a token for `actor`; return the row and the raw token, which is shown once and never kept.

    Needs the actor's current password. Raises ValidationFailed naming
    `password` (wrong), `scopes` ("admin-read" for someone who is not an
    administrator), `name` (already the name of a live token) or `name` too
    when the actor already has MAX_LIVE_TOKENS live tokens. Audited
    `api_token.created` (never the token); the owner is told by e-mail.
    """
    now = now or utcnow()
    if not passwords.verify_password(actor.password_hash, password):
        raise ValidationFailed({"password": [_l("Your current password is not correct.")]})
    errors = FieldErrors()
    if ADMIN_SCOPE in data.scopes and not is_admin(actor):
        errors.add("scopes", _l("Only administrators may give a token the admin-read scope."))
    # One at a time per person: two clicks, or two tabs, cannot both pass the name and count checks.
    lock_row(User, actor.id)
    live = _live_tokens(actor.id, now)
    if any(token.name.casefold() == data.name.casefold() for token in live):
        errors.add("name", _l("You already have a token of this name. Choose another name."))
    if len(live) >= MAX_LIVE_TOKENS:
        errors.add("name", _l("You already have %(n)d live tokens. Revoke one you no longer use first.",
                              n=MAX_LIVE_TOKENS))
    errors.raise_if_any()

    raw = TOKEN_START + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=data.name, prefix=raw[:PREFIX_LENGTH], token_hash=digest(raw),
                     scopes=list(data.scopes), created_at=now,
                     expires_at=now + timedelta(days=data.expires_in_days))
    db.session.add(token)
    db.session.flush()
    record_event(actor, "api_token.created", token, after={
        "name": token.name, "prefix": token.prefix, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()})
    notify("accounts.api_token_created", recipient=actor, key=f"api-token-created:{token.id}", context={
        "name": token.name, "prefix": token.prefix, "scopes": token.scopes,
        "created": moment_json(now, actor.timezone), "expires": moment_json(token.expires_at, actor.timezone)})
    return token, raw


def revoke_api_token(actor: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once.

    Raises NotFound for a token that is not the actor's (whether it exists is
    not theirs to learn). Revoking a revoked token changes nothing; of two
    revocations at once, one writes the audit row `api_token.revoked`.
    """
    now = now or utcnow()
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) and not isinstance(token_id, bool) else None
    if token is None or token.user_id != actor.id:
        raise NotFound()
    # Compare-and-set: only the revocation that found it live records one.
    result = db.session.execute(update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
                                .values(revoked_at=now).execution_options(synchronize_session=False))
    db.session.refresh(token)
    if result.rowcount == 1:
        record_event(actor, "api_token.revoked", token, before={"revoked_at": None},
                     after={"name": token.name, "prefix": token.prefix, "revoked_at": token.revoked_at.isoformat()})
    return token


def authenticate_bearer(authorization: str | None, now: datetime | None = None) -> ApiToken:
    """The live token of an `Authorization: Bearer <token>` header value; its user is `token.user`.

    Raises Unauthenticated when the header is missing or malformed, the token
    unknown, expired or revoked, or its user disabled. Found by digest (no
    secret is compared). Notes the use in `last_used_at`, at most once a
    minute, with a plain UPDATE (flushes nothing else, never commits).
    """
    now = now or utcnow()
    scheme, _space, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthenticated(_l("Send a personal API token as “Authorization: Bearer <token>”."))
    raw = credentials.strip()
    if not _TOKEN.match(raw):
        raise Unauthenticated(_l("This is not a CADE Grants API token."))
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or not token.user.active:
        raise Unauthenticated(_l("This token is not valid."))
    if token.revoked_at is not None:
        raise Unauthenticated(_l("This token has been revoked."))
    if token.expires_at <= now:
        raise Unauthenticated(_l("This token has expired."))
    if token.last_used_at is None or token.last_used_at <= now - LAST_USE_PRECISION:
        db.session.execute(update(ApiToken).where(
            ApiToken.id == token.id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USE_PRECISION),
        ).values(last_used_at=now).execution_options(synchronize_session=False))
        db.session.refresh(token, ["last_used_at"])
    return token


def token_has_scope(token: ApiToken, scope: str) -> bool:
    """Whether `token` grants `scope`; "admin-read" only while its user is still an administrator."""
    if scope not in (token.scopes or []):
        return False
    return scope != ADMIN_SCOPE or is_admin(token.user)
