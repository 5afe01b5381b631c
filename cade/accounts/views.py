"""Sign-up, verification, sign-in, sign-out, password reset and profile pages."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from cade.accounts import reauth, services
from cade.accounts.forms import (
    ChangePasswordForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResendVerificationForm,
    ResetPasswordForm,
)
from cade.accounts.tokens import TokenExpired
from cade.core.errors import DomainError, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.security import answer_no_sooner_than
from cade.core.urls import safe_next_url, safe_relative_path
from cade.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/auth")
# Two forms share the profile page: the prefix keeps their field ids apart.
PASSWORD_PREFIX = "password"


def _next_url(*candidates: str | None) -> str:
    return safe_next_url(next((c for c in candidates if c), None))


def _address_hint(value: str | None) -> str:
    # An address to fill in (the invited one, the one a used link was for): shown, never trusted.
    value = (value or "").strip()
    return value if len(value) <= 254 else ""


def _account_key() -> str:
    # Per account as well as per IP address: many machines cannot guess one password, or flood
    # one mailbox with links, by sharing out the attempts.
    return "account:" + services.normalise_email(request.form.get("email"))


def _start_session(user, locale: str | None) -> None:
    # A fresh session at sign-in: nothing an attacker planted before survives it.
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(_next_url(request.args.get("next")))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = str(get_locale() or "en")
        form.email.data = _address_hint(request.args.get("email"))
    # Where to come back to once the address is confirmed (an invitation): only a page of this site.
    form.next.data = safe_relative_path(request.args.get("next") if request.method == "GET" else form.next.data)
    if form.validate_on_submit():
        try:
            with answer_no_sooner_than():
                services.register_user(services.RegistrationInput.from_input(form.data))
                db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        except IntegrityError:
            # The same address was registered a moment ago: answer as for any taken address.
            db.session.rollback()
            return redirect(url_for("accounts.check_email", next=form.next.data))
        else:
            return redirect(url_for("accounts.check_email", next=form.next.data))
    return render_template("accounts/register.html", form=form)


@bp.get("/register/check-email")
def check_email():
    return render_template("accounts/check_email.html", next_url=safe_relative_path(request.args.get("next")))


def _spent_link(error: DomainError):
    """A verification link used already or expired: offer sign-in with the address, towards the same page."""
    email, next_url = error.params.get("email"), error.params.get("next")
    if current_user.is_authenticated and current_user.email == email:
        # The person is signed in already (often: the same link clicked twice); this session stays as it is.
        if isinstance(error, TokenExpired):
            flash(str(error), "error")
            return redirect(url_for("accounts.resend_verification", next=next_url))
        flash(_("Your e-mail address is already confirmed."), "info")
        return redirect(_next_url(next_url))
    flash(str(error), "error" if isinstance(error, TokenExpired) else "info")
    return redirect(url_for("accounts.login", email=email, next=next_url))


@bp.get("/verify/<token>")
def verify(token):
    try:
        verification = services.verify_email(token)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if "email" in error.params:  # used already or expired: signing in is the way on
            return _spent_link(error)
        return render_template("accounts/link_problem.html", message=str(error),
                               retry_endpoint="accounts.resend_verification"), 400
    if verification.user.has_two_factor:
        # The link proves the address, not the second factor: sign in the usual way.
        flash(_("Your e-mail address is confirmed. Please sign in."), "success")
        return redirect(url_for("accounts.login", email=verification.user.email, next=verification.next_url))
    # The link proves the address: sign in, on a new session, the way the sign-in page does.
    _start_session(verification.user, session.get("locale"))
    flash(_("Thank you: your e-mail address is confirmed, and you are signed in."), "success")
    return redirect(_next_url(verification.next_url))


@bp.route("/resend-verification", methods=["GET", "POST"])
@limiter.limit("3 per 10 minutes", methods=["POST"])
@limiter.limit("10 per day", methods=["POST"], key_func=_account_key)
def resend_verification():
    form = ResendVerificationForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            form.email.data = current_user.email
        form.next.data = safe_relative_path(request.args.get("next"))
    if form.validate_on_submit():
        next_url = safe_relative_path(form.next.data)
        with answer_no_sooner_than():
            services.resend_verification(form.email.data, next_url)
            db.session.commit()
        return redirect(url_for("accounts.check_email", next=next_url))
    return render_template("accounts/resend_verification.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"], key_func=_account_key)
def login():
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_next_url(request.args.get("next")))
        form.next.data = safe_relative_path(request.args.get("next")) or ""
        form.email.data = _address_hint(request.args.get("email"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.commit()  # a failure counts towards the account's soft lock
            place_errors(form, error)
        else:
            next_url = form.next.data or request.args.get("next")
            if user.has_two_factor and not services.is_remembered_device(user, views_two_factor.device_token()):
                db.session.commit()
                views_two_factor.begin_second_step(user, next_url)
                return redirect(url_for("accounts.login_code"))
            if user.has_two_factor:  # a remembered device: both factors are proved, the failures forgotten
                services.note_successful_sign_in(user)
            db.session.commit()
            _start_session(user, session.get("locale"))
            reauth.mark_recent()
            if not user.is_verified:
                flash(_("Please confirm your e-mail address with the link we sent you. "
                        "You will need to before you can apply."), "info")
            return redirect(_next_url(next_url))
    return render_template("accounts/login.html", form=form)


def leave_session() -> None:
    """Forget who is signed in on this browser, and everything else the session held but the chosen language."""
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.sign_out(current_actor())
        db.session.commit()
    leave_session()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("programmes.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
@limiter.limit("10 per day", methods=["POST"], key_func=_account_key)
def forgot():
    form = EmailForm()
    if form.validate_on_submit():
        with answer_no_sooner_than():
            services.request_password_reset(form.email.data)
            db.session.commit()
        return render_template("accounts/forgot_sent.html")
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset(token):
    try:
        services.check_reset_token(token)
    except DomainError as error:
        return render_template("accounts/link_problem.html", message=str(error),
                               retry_endpoint="accounts.forgot"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, services.PasswordResetInput.from_input(form.data))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            logout_user()
            flash(_("Your password has been changed and every session signed out. Please sign in."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(formdata=None, prefix=PASSWORD_PREFIX)
    if form.validate_on_submit():
        try:
            me = current_actor()
            services.update_profile(me, me.id, services.ProfileInput.from_input(form.data))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            # The language just chosen should win over one picked earlier from the menu.
            session.pop("locale", None)
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, password_form=password_form)


@bp.post("/profile/password")
@login_required
@reauth.recent_sign_in_required
def change_password():
    form = ProfileForm(formdata=None, obj=current_user)
    password_form = ChangePasswordForm(prefix=PASSWORD_PREFIX)
    if password_form.validate_on_submit():
        try:
            # The real user, not the proxy: login_user must not store current_user in itself.
            user = services.change_password(current_actor(),
                                            services.PasswordChangeInput.from_input(password_form.data))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            place_errors(password_form, error)
        else:
            # This session stays signed in under the new session version; the others end.
            _start_session(user, session.get("locale"))
            reauth.mark_recent()
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, password_form=password_form)


from cade.accounts import views_tokens  # noqa: E402,F401
from cade.accounts import views_two_factor  # noqa: E402
from cade.accounts import views_email  # noqa: E402,F401
from cade.accounts import views_roles  # noqa: E402,F401
