"""Personal API tokens on the profile page: the list, making one (shown once) and revoking one.

They join the accounts blueprint (cade/accounts/views.py); the profile page
includes templates/accounts/_api_tokens.html, which asks `api_token_section`
for its list and its form.
"""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.accounts.api_tokens import (
    TokenInput,
    create_api_token,
    is_live,
    list_api_tokens,
    revoke_api_token,
)
from cade.accounts.forms import ChangePasswordForm, ProfileForm
from cade.accounts.forms_tokens import ApiTokenForm
from cade.accounts.reauth import recent_sign_in_required
from cade.accounts.views import PASSWORD_PREFIX, bp
from cade.core.db import utcnow
from cade.core.errors import DomainError, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import is_admin
from cade.extensions import db, limiter

# The API's documentation page (issue 15 fixes the path; the API blueprint serves it).
API_DOCS_PATH = "/api/v1/docs"
ANCHOR = "api-tokens"


def api_token_section(form: ApiTokenForm | None = None) -> dict:
    """What the tokens section of the profile page shows: the signed-in person's tokens and the form."""
    now = utcnow()
    tokens = list_api_tokens(current_user)
    return {"tokens": tokens, "live": {token.id for token in tokens if is_live(token, now)},
            "form": form or ApiTokenForm(formdata=None, admin=is_admin(current_user)), "docs_path": API_DOCS_PATH}


@bp.context_processor
def _tokens_section():
    return {"api_token_section": api_token_section}


def _private(response):
    # A raw token is in this page: no browser history, back button or proxy may keep it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/profile/api-tokens")
@login_required
@limiter.limit("10 per minute")
@recent_sign_in_required
def create_token():
    me = current_actor()
    form = ApiTokenForm(admin=is_admin(me))
    valid = form.validate_on_submit()
    try:
        # Cleaned even when the password is missing, so that every error shows at once.
        data = TokenInput.from_input(form.data)
    except ValidationFailed as error:
        place_errors(form, error)
        valid = False
    if valid:
        try:
            token, raw = create_api_token(me, data, form.password.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            # Shown in this response only: never in the session, a flash message or a redirect's URL.
            return _private(make_response(render_template(
                "accounts/api_token_created.html", token=token, raw_token=raw, docs_path=API_DOCS_PATH)))
    page = render_template("accounts/profile.html", form=ProfileForm(formdata=None, obj=me),
                           password_form=ChangePasswordForm(formdata=None, prefix=PASSWORD_PREFIX), token_form=form)
    return _private(make_response(page, 422))


@bp.post("/profile/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    try:
        token = revoke_api_token(current_actor(), token_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("The token “%(name)s” has been revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("accounts.profile", _anchor=ANCHOR))
