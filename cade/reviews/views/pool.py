"""Review pages: the reviewer pool (admin), a reviewer's own profile, and accepting an invitation."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.core.errors import DomainError, NotFound
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import REVIEWER, admin_required, role_required
from cade.core.tokens import invitation_page_for_visitor
from cade.core.views import http_status_for
from cade.extensions import db
from cade.organisations.forms import ConfirmForm, language_choices
from cade.reviews.constants import DEFAULT_MAX_LOAD
from cade.reviews.models import ReviewerInvitation
from cade.reviews.forms_pool import AddReviewerForm, ReviewerProfileForm, profile_form_data
from cade.reviews.services import pool as service
from cade.reviews.views import bp

_ADDED_MESSAGES = {
    service.AddOutcome.ADDED: lambda r: _("%(name)s is now a reviewer.", name=r.user.name),
    service.AddOutcome.ALREADY: lambda r: _("%(name)s is already a reviewer.", name=r.user.name),
    service.AddOutcome.INVITED: lambda r: _("No account uses %(email)s: an invitation has been sent.", email=r.email),
    service.AddOutcome.REINVITED: lambda r: _("An invitation was already waiting for %(email)s: a new link has been "
                                              "sent.", email=r.email),
}


def _render_pool(add_form=None, status=200):
    pool = service.pool_page(request.args.get("page", 1, type=int))
    return render_template("reviews/pool.html", pool=pool, add_form=add_form or AddReviewerForm(formdata=None),
                           invitations=service.pending_reviewer_invitations(), confirm_form=ConfirmForm(),
                           language_labels=dict(language_choices()), now=utcnow()), status


@bp.route("/admin/reviewers", methods=["GET", "POST"])
@admin_required
def pool():
    if request.method == "GET":
        return _render_pool()
    if request.form.get("revoke"):
        return _revoke_invitation(request.form.get("revoke", type=int))
    form = AddReviewerForm()
    if not form.validate_on_submit():
        return _render_pool(form, 400)
    try:
        result = service.add_reviewer(current_actor(), service.ReviewerInput.from_input(form.data))
    except DomainError as exc:
        db.session.rollback()
        place_errors(form, exc)
        return _render_pool(form, 400)
    db.session.commit()
    flash(_ADDED_MESSAGES[result.outcome](result), "success")
    return redirect(url_for(".pool"))


def _revoke_invitation(invitation_id: int | None):
    if not ConfirmForm().validate_on_submit() or invitation_id is None:
        abort(400)
    try:
        invitation = service.revoke_reviewer_invitation(current_actor(), invitation_id)
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The invitation to %(email)s has been withdrawn.", email=invitation.email), "success")
    return redirect(url_for(".pool"))


def _save_profile(user: User, form: ReviewerProfileForm) -> bool:
    """Save the form through the service; False (with the errors on the form) when it refuses."""
    try:
        service.update_reviewer_profile(current_actor(), user.id, service.ReviewerProfileInput.from_input(form.data))
    except DomainError as exc:
        db.session.rollback()
        place_errors(form, exc)
        return False
    db.session.commit()
    return True


def _status() -> int:
    # A POST that reaches the template was refused; a saved one redirects.
    return 400 if request.method == "POST" else 200


def _profile_form(user: User):
    profile = service.profile_of(user.id)
    if request.method == "POST":
        return profile, ReviewerProfileForm()
    if profile is None:
        return None, ReviewerProfileForm(data={"languages": [user.locale], "max_load": DEFAULT_MAX_LOAD})
    return profile, ReviewerProfileForm(data=profile_form_data(profile))


@bp.route("/admin/reviewers/<int:user_id>", methods=["GET", "POST"])
@admin_required
def reviewer_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    profile, form = _profile_form(user)
    if profile is None and not user.has_role(REVIEWER):
        abort(404)
    if request.form.get("remove"):
        if not ConfirmForm().validate_on_submit():
            abort(400)
        service.remove_reviewer(current_actor(), user.id)
        db.session.commit()
        flash(_("%(name)s is no longer a reviewer. Their assignments stay until you reassign them.",
                name=user.name), "success")
        return redirect(url_for(".pool"))
    if form.validate_on_submit() and _save_profile(user, form):
        flash(_("The profile of %(name)s has been saved.", name=user.name), "success")
        return redirect(url_for(".reviewer_edit", user_id=user.id))
    return render_template("reviews/profile.html", form=form, subject=user, admin_view=True,
                           is_reviewer=user.has_role(REVIEWER), confirm_form=ConfirmForm()), _status()


@bp.route("/review/profile", methods=["GET", "POST"])
@role_required(REVIEWER)
def profile():
    user = current_actor()
    _profile, form = _profile_form(user)
    if form.validate_on_submit() and _save_profile(user, form):
        flash(_("Your reviewer profile has been saved."), "success")
        return redirect(url_for(".profile"))
    return render_template("reviews/profile.html", form=form, subject=user, admin_view=False,
                           is_reviewer=True), _status()


def _invitation_for_visitor(token: str):
    return invitation_page_for_visitor(ReviewerInvitation, token, "reviews/invitation.html", already=False)


@bp.route("/review/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    if not current_user.is_authenticated:
        return _invitation_for_visitor(token)
    form = ConfirmForm()
    try:
        invitation = service.find_reviewer_invitation(current_actor(), token)
        if request.method == "POST" and form.validate_on_submit():
            service.accept_reviewer_invitation(current_actor(), token)
            db.session.commit()
            flash(_("Welcome to the reviewer pool. Tell us what you can review."), "success")
            return redirect(url_for(".profile"))
    except DomainError as exc:
        db.session.rollback()
        return (render_template("reviews/invitation.html", invitation=None, form=form, error=str(exc.message)),
                http_status_for(exc))
    return render_template("reviews/invitation.html", invitation=invitation, form=form, error=None,
                           already=invitation.accepted_at is not None)
