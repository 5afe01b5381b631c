"""Changing one's e-mail address: the request on the profile page, and the link sent to the new address.

They join the accounts blueprint (cade/accounts/views.py). The profile page
includes templates/accounts/change_email_section.html, which asks
`change_email_form` for a blank form.
"""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from cade.accounts.forms_email import ChangeEmailForm, ConfirmEmailChangeForm
from cade.accounts.services.email_change import (
    AddressTaken,
    EmailChangeInput,
    check_email_change,
    confirm_email_change,
    request_email_change,
)
from cade.accounts.reauth import recent_sign_in_required
from cade.accounts.views import _start_session, bp
from cade.core.errors import DomainError, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.security import answer_no_sooner_than
from cade.extensions import db, limiter

ANCHOR = "email-heading"


def _user_key() -> str:
    # Per account as well as per IP address: one account cannot flood mailboxes with links from many machines.
    return f"user:{current_user.id}" if current_user.is_authenticated else "user:anonymous"


@bp.context_processor
def _email_section():
    return {"change_email_form": lambda: ChangeEmailForm(formdata=None)}


@bp.route("/profile/email", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per minute", methods=["POST"])
@limiter.limit("10 per day", methods=["POST"], key_func=_user_key)
@recent_sign_in_required(pages_too=False)
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            # The same answer, taking the same time, whether or not the address has an account.
            with answer_no_sooner_than():
                command = EmailChangeInput.from_input(form.data)
                request_email_change(current_actor(), command)
                db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            flash(_("We sent a link to %(email)s. Follow it within %(hours)d hours to confirm the change; until "
                    "then your address stays %(current)s.", email=command.new_email,
                    hours=max(1, current_app.config["EMAIL_TOKEN_MAX_AGE"] // 3600), current=current_user.email),
                  "success")
            return redirect(url_for("accounts.profile", _anchor=ANCHOR))
    return render_template("accounts/change_email.html", form=form)


def _link_problem(error: DomainError, status: int | None = None):
    return render_template("accounts/link_problem.html", message=str(error),
                           retry_endpoint="accounts.change_email"), status or error.status


@bp.route("/email/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def confirm_email(token):
    try:
        change = check_email_change(token)
    except DomainError as error:
        return _link_problem(error, 400)
    # Only the account itself may take the address: a link that reached a stranger must not hand them the account.
    if not current_user.is_authenticated:
        flash(_("Please sign in to confirm your new e-mail address."), "info")
        return redirect(url_for("accounts.login", next=request.path))
    if current_user.id != change.user.id:
        return render_template("accounts/change_email_wrong_account.html"), 403
    form = ConfirmEmailChangeForm()
    if form.validate_on_submit():
        try:
            user = confirm_email_change(current_actor(), token)
            db.session.commit()
        except IntegrityError:
            # Another account took the address a moment ago.
            db.session.rollback()
            return _link_problem(AddressTaken())
        except DomainError as error:
            db.session.rollback()
            return _link_problem(error)
        # This browser stays signed in under the new session version; every other session ends.
        _start_session(user, session.get("locale"))
        flash(_("Your e-mail address is now %(email)s. Other devices have been signed out.", email=user.email),
              "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email_confirm.html", form=form, change=change)
