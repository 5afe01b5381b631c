"""The second factor's pages: the code step of signing in, set-up, recovery codes, turning it off, an admin's
reset, and the confirmation page of re-authentication."""

import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.accounts import two_factor
from cade.accounts.forms_two_factor import ConfirmForm, EnrolForm, SignInCodeForm
from cade.accounts.models import User
from cade.accounts.reauth import mark_recent, reconfirm, recent_sign_in_required
from cade.accounts.services import second_factor
from cade.accounts.services._common import get_user
from cade.accounts.views import _next_url, _start_session, bp
from cade.core.errors import DomainError, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import is_admin
from cade.core.urls import safe_relative_path
from cade.extensions import db, limiter

PENDING_KEY = "2fa_pending"
DEVICE_COOKIE = "cade_device"
# What a person who must set up a second factor may still open before they have: these pages and the ground's.
_OPEN_WHILE_ENROLLING = {"accounts.two_factor", "accounts.two_factor_enrol", "accounts.confirm", "accounts.logout",
                         "accounts.login", "accounts.login_code", "static", "security_txt", "core.healthz",
                         "core.readyz", "core.metrics_page", "core.set_language"}


def device_token() -> str | None:
    return request.cookies.get(DEVICE_COOKIE)


def begin_second_step(user, next_url: str | None) -> None:
    """The password was right: hold the person between the two steps, in this session only, for a few minutes."""
    session[PENDING_KEY] = {"uid": user.id, "v": user.session_version, "at": int(time.time()),
                            "next": safe_relative_path(next_url) or ""}


def _pending():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active or user.session_version != pending.get("v") or not user.has_two_factor:
        session.pop(PENDING_KEY, None)
        return None
    return user, pending.get("next") or None


def _pending_account_key() -> str:
    pending = session.get(PENDING_KEY)
    return f"2fa:{pending.get('uid')}" if isinstance(pending, dict) else "2fa:none"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"], key_func=_pending_account_key)
def login_code():
    pending = _pending()
    if pending is None:
        flash(_("Please enter your e-mail address and password again: the sign-in took too long or was "
                "not started."), "info")
        return redirect(url_for("accounts.login"))
    user, next_url = pending
    form = SignInCodeForm()
    days = second_factor.remember_days()
    form.remember.label.text = _("Do not ask for a code on this device for %(days)d days", days=days)
    if form.validate_on_submit():
        try:
            second_factor.check_code_to_sign_in(user, form.code.data)
        except ValidationFailed as error:
            db.session.commit()  # the failure counts towards the soft lock
            place_errors(form, error)
        else:
            token = second_factor.remember_device(user) if form.remember.data else None
            db.session.commit()
            _start_session(user, session.get("locale"))
            mark_recent()
            response = redirect(_next_url(next_url))
            if token:
                response.set_cookie(DEVICE_COOKIE, token, max_age=days * 86400, path=url_for("accounts.login"),
                                    secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                                    httponly=True, samesite="Lax")
            return response
    return render_template("accounts/login_code.html", form=form)


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def confirm():
    me = current_actor()
    form = ConfirmForm(prefix="reauth")
    if not me.has_two_factor:
        del form.code
    if request.method == "GET":
        form.next.data = safe_relative_path(request.args.get("next")) or ""
    if form.validate_on_submit():
        try:
            reconfirm(me, form.password.data, form.code.data if me.has_two_factor else None)
        except ValidationFailed as error:
            db.session.commit()
            place_errors(form, error)
        else:
            db.session.commit()
            mark_recent()
            return redirect(_next_url(form.next.data))
    return render_template("accounts/confirm.html", form=form, needs_code=me.has_two_factor)


@bp.get("/two-factor", endpoint="two_factor")
@login_required
def two_factor_page():
    me = current_actor()
    return render_template("accounts/two_factor.html", required=second_factor.two_factor_required(me),
                           codes_left=second_factor.recovery_codes_left(me) if me.has_two_factor else 0,
                           devices=second_factor.remembered_devices_count(me) if me.has_two_factor else 0)


@bp.route("/two-factor/enrol", methods=["GET", "POST"])
@login_required
@recent_sign_in_required
def two_factor_enrol():
    me = current_actor()
    if me.has_two_factor:
        return redirect(url_for("accounts.two_factor"))
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(me, form.code.data)
        except DomainError as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            db.session.commit()
            mark_recent()
            return _show_codes(codes, just_enabled=True)
    secret = second_factor.start_enrolment(me)
    db.session.commit()
    issuer = current_app.config["TWO_FACTOR_ISSUER"]
    uri = two_factor.provisioning_uri(secret, me.email, issuer)
    return render_template("accounts/two_factor_enrol.html", form=form, secret_grouped=two_factor.grouped_secret(secret),
                           qr_svg=two_factor.qr_svg(uri, _("QR code to scan with your authenticator app")))


@bp.post("/two-factor/recovery-codes")
@login_required
@recent_sign_in_required
def two_factor_recovery_codes():
    try:
        codes = second_factor.regenerate_recovery_codes(current_actor())
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("accounts.two_factor"))
    db.session.commit()
    return _show_codes(codes, just_enabled=False)


def _show_codes(codes: list[str], *, just_enabled: bool):
    response = current_app.make_response(render_template("accounts/two_factor_codes.html", codes=codes,
                                                          just_enabled=just_enabled))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/two-factor/forget-devices")
@login_required
def two_factor_forget_devices():
    second_factor.forget_devices(current_actor())
    db.session.commit()
    flash(_("Every device will ask for a code at its next sign-in."), "success")
    response = redirect(url_for("accounts.two_factor"))
    response.delete_cookie(DEVICE_COOKIE, path=url_for("accounts.login"))
    return response


@bp.post("/two-factor/disable")
@login_required
@recent_sign_in_required
def two_factor_disable():
    try:
        second_factor.disable_two_factor(current_actor())
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("accounts.two_factor"))


@bp.route("/admin/users/<int:user_id>/two-factor", methods=["GET", "POST"])
@login_required
@recent_sign_in_required
def admin_two_factor(user_id: int):
    if not is_admin(current_user):
        abort(404)
    user = get_user(user_id)
    if request.method == "POST":
        try:
            second_factor.reset_two_factor(current_actor(), user)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Two-factor sign-in of %(name)s is reset. They were signed out and told by e-mail.",
                    name=user.name), "success")
        return redirect(url_for("accounts.admin_two_factor", user_id=user.id))
    return render_template("accounts/admin_two_factor.html", person=user)


@bp.before_app_request
def _require_second_factor():
    """Send a person whose role requires a second factor, and who has none yet, to set it up first."""
    if not current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or "_user_id" not in session:
        return None
    if request.endpoint in _OPEN_WHILE_ENROLLING or request.blueprint == "api" or request.endpoint is None:
        return None
    if not current_user.is_authenticated or current_user.has_two_factor:
        return None
    if second_factor.two_factor_required(current_user):
        if request.method == "GET":
            return redirect(url_for("accounts.two_factor"))
        abort(403)
    return None

