"""Single-use link tokens (invitations): random, URL-safe, stored only as a digest, and revocable."""

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound
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


def open_invitation(model, token: str):
    """The invitation of `model` (any model with `token_hash`, `expires_at`, `accepted_at`, `revoked_at`)
    behind `token`, while it can still be accepted.

    For a visitor who is not signed in yet, to whom the page offers signing up
    or signing in: the domain's own service checks the rest (the address, the
    inviter) once they have. Raises NotFound for an unknown link, and
    InvalidTransition for one withdrawn, used or expired.
    """
    invitation = db.session.scalar(select(model).where(model.token_hash == token_digest(token or "")))
    if invitation is None:
        raise NotFound(_l("This invitation link is not valid. Check that you copied the whole link, "
                          "or ask for a new invitation."))
    if invitation.revoked_at is not None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        raise InvalidTransition(_l("This invitation cannot be used any more: it has expired, been withdrawn or "
                                   "been used already. If you accepted it, sign in to continue."))
    return invitation


def invitation_page_for_visitor(model, token: str, template: str, **context):
    """An invitation (of `model`) as a visitor without a session sees it: what is offered, and the way to an account.

    Accepting needs an account: a POST goes to sign-in. A link that cannot be
    used any more gets the page with its reason and the error's status.
    """
    from flask import current_app, render_template, request

    from cade.core.errors import DomainError
    from cade.core.views import http_status_for

    if request.method == "POST":
        return current_app.login_manager.unauthorized()
    try:
        invitation = open_invitation(model, token)
    except DomainError as exc:
        return render_template(template, invitation=None, form=None, error=str(exc.message)), http_status_for(exc)
    return render_template(template, invitation=invitation, form=None, error=None, **context)
