"""Who is calling: a personal token in `Authorization: Bearer …` (never a session cookie), and the rate-limit key.

A signed-in browser session authenticates no API call: only the token
sent with the request does, so the blueprint needs no CSRF protection (a
forged cross-site request carries no Authorization header).
"""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from cade.accounts.api_tokens import PREFIX_LENGTH, authenticate_bearer, token_has_scope
from cade.accounts.models import ApiToken
from cade.api.problems import MissingScope

READ = "read"
ADMIN_READ = "admin-read"
DEFAULT_TOKEN_LIMIT = "120/minute"
DEFAULT_PUBLIC_LIMIT = "60/minute"


def authorise(scope: str) -> ApiToken:
    """The live token of this request, which must grant `scope`; Unauthenticated (401) or MissingScope (403)."""
    token = authenticate_bearer(request.headers.get("Authorization"))
    if not token_has_scope(token, scope):
        raise MissingScope()
    return token


def token_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_TOKEN_LIMIT)


def public_limit() -> str:
    return current_app.config.get("API_PUBLIC_RATE_LIMIT", DEFAULT_PUBLIC_LIMIT)


def token_key() -> str:
    """A token's calls are counted together (by its clear prefix), wherever they come from; without one, by address.

    Invalid tokens are counted by their prefix too, so guessing costs as much as using.
    """
    scheme, _space, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return "api-token:" + credentials.strip()[:PREFIX_LENGTH]
    return "api-address:" + (get_remote_address() or "")


def address_key() -> str:
    return "api-address:" + (get_remote_address() or "")
