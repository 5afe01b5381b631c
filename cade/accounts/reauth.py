"""Re-authentication: the password, and the second factor where set, again before a sensitive step.

A sign-in (both factors) or a confirmation counts as recent for REAUTH_MAX_AGE seconds (15 minutes). After that,
`recent_sign_in_required` stands in front of the view:

- a page (GET) sends the person to the confirmation page, which brings them back;
- a form (POST) is answered with the confirmation form, carrying everything the person typed in hidden fields, and
  posting back to the same address: once the password (and code) are right the original form goes through as
  if nothing had happened, so nothing typed is lost, with or without JavaScript. A form with files cannot be
  carried: its page must be behind the decorator too, so that it is recent when the form is sent.
"""

import time
from functools import wraps

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from cade.accounts import passwords
from cade.accounts.forms_two_factor import ReauthForm
from cade.accounts.models import User
from cade.accounts.services import second_factor, signing_in
from cade.core.audit import record_event
from cade.core.errors import ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.extensions import db

RECENT_KEY = "auth_at"
PREFIX = "reauth"


def mark_recent() -> None:
    """Note in the session that the person has just proved who they are."""
    session[RECENT_KEY] = int(time.time())


def is_recent() -> bool:
    at = session.get(RECENT_KEY)
    return isinstance(at, int) and 0 <= time.time() - at <= current_app.config["REAUTH_MAX_AGE"]


def reconfirm(user: User, password: str | None, code: str | None) -> None:
    """Check the password and, where set, the second factor; audited either way.

    Raises ValidationFailed on `password` or `code`. A wrong answer counts towards the account's soft lock like a
    wrong password at sign-in.
    """
    if signing_in.is_locked(user):
        raise ValidationFailed({"password": [_l("Too many wrong attempts. Please wait a few minutes and try "
                                                "again.")]})
    if not passwords.verify_password(user.password_hash, password):
        signing_in.note_failed_sign_in(user)
        raise ValidationFailed({"password": [_l("That password is not correct.")]})
    if user.has_two_factor:
        try:
            second_factor.check_code(user, code)
        except ValidationFailed:
            signing_in.note_failed_sign_in(user)
            raise
    record_event(user, "user.reauthenticated", user)
    db.session.flush()


def recent_sign_in_required(view=None, *, pages_too: bool = True):
    """Let the view run only after a recent sign-in or confirmation (see the module's docstring).

    `pages_too=False` guards only what changes something (POST), for a page that also shows (a decision's form).
    """
    if view is None:
        return lambda view: recent_sign_in_required(view, pages_too=pages_too)

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if is_recent() or (not pages_too and request.method in ("GET", "HEAD")):
            return view(*args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("accounts.confirm", next=request.full_path.rstrip("?")))
        form = ReauthForm(prefix=PREFIX, formdata=request.form if f"{PREFIX}-password" in request.form else None)
        if form.is_submitted() and f"{PREFIX}-password" in request.form:
            user = current_actor()
            try:
                reconfirm(user, form.password.data, form.code.data)
            except ValidationFailed as error:
                db.session.commit()  # the failure's count stays
                place_errors(form, error)
            else:
                db.session.commit()
                mark_recent()
                return view(*args, **kwargs)
        carried = [(name, value) for name, value in request.form.items(multi=True)
                   if not name.startswith(f"{PREFIX}-")]
        return render_template("accounts/reauth.html", form=form, carried=carried, action=request.full_path.rstrip("?"),
                               needs_code=current_user.has_two_factor)

    return wrapped
