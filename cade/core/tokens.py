"""Single-use link tokens (invitations): random, URL-safe, stored only as a digest, and revocable."""

import hashlib
import secrets

from flask_babel import lazy_gettext as _l

from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition
from cade.extensions import db


def new_link_token() -> str:
    """A random token for a link in an e-mail (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token: a leak of the table does not leak live links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revoke_invitation_link(actor, invitation, verb: str) -> None:
    """Stamp an invitation (any model with `accepted_at`, `revoked_at`, `email`) revoked and audit `verb`.

    Revoking twice is harmless. Raises InvalidTransition if it was already accepted.
    """
    if invitation.accepted_at is not None:
        raise InvalidTransition(_l("This invitation has already been accepted."))
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()
        record_event(actor, verb, invitation, None, {"email": invitation.email})
