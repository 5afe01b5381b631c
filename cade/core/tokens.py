"""Single-use link tokens (invitations): random, URL-safe, and stored only as a digest."""

import hashlib
import secrets


def new_link_token() -> str:
    """A random token for a link in an e-mail (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token: a leak of the table does not leak live links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
