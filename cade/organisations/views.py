"""Organisation profile, members and invitations pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.core.db import utcnow
from cade.core.errors import DomainError
from cade.core.forms import current_actor, place_errors, save_form
from cade.core.tokens import invitation_page_for_visitor
from cade.core.views import http_status_for
from cade.extensions import db
from cade.organisations import services
from cade.organisations.constants import (
    FOCUS_AREA_LABELS,
    MEMBERSHIP_ROLE_LABELS,
    ORGANISATION_TYPE_LABELS,
    STAFF_BAND_LABELS,
    STAKEHOLDER_GROUP_LABELS,
)
from cade.organisations.forms import (
    ConfirmForm,
    InviteForm,
    OrganisationForm,
    RoleForm,
    language_choices,
    organisation_form_data,
)
from cade.organisations.models import Invitation, Membership, Organisation
from cade.organisations.permissions import (
    can_edit_organisation,
    can_mark_at_risk,
    can_manage_members,
    can_verify_organisation,
    can_view_organisation,
)

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.context_processor
def _labels():
    return {
        "role_labels": MEMBERSHIP_ROLE_LABELS,
        "type_labels": ORGANISATION_TYPE_LABELS,
        "group_labels": STAKEHOLDER_GROUP_LABELS,
        "staff_labels": STAFF_BAND_LABELS,
        "focus_labels": FOCUS_AREA_LABELS,
        "language_labels": dict(language_choices()),
    }


def _load(actor, organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    # Whether an organisation exists is private to its members.
    if org is None or not can_view_organisation(actor, org):
        abort(404)
    return org


def _load_membership(org: Organisation, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != org.id:
        abort(404)
    return membership


@bp.get("/mine")
@login_required
def mine():
    organisations = services.organisations_for_user(current_actor())
    if len(organisations) == 1:
        return redirect(url_for(".view", organisation_id=organisations[0].id))
    if not organisations:
        flash(_("You do not belong to an organisation yet. Register yours below, or ask a colleague "
                "whose organisation is already registered to invite you."), "info")
        return redirect(url_for(".create"))
    return render_template("organisations/mine.html", organisations=organisations)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = services.create_organisation(current_actor(),
                                               services.OrganisationProfileInput.from_input(form.data))
        except DomainError as exc:
            place_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Your organisation is registered. You can now invite colleagues and apply to calls."),
                  "success")
            return redirect(url_for(".view", organisation_id=org.id))
    return render_template("organisations/form.html", form=form, organisation=None)


@bp.get("/<int:organisation_id>")
@login_required
def view(organisation_id: int):
    org = _load(current_actor(), organisation_id)
    return render_template("organisations/view.html", organisation=org,
                           members=services.members_of(org), confirm_form=ConfirmForm())


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not can_edit_organisation(actor, org):
        abort(403)
    form = OrganisationForm(data=organisation_form_data(org))
    if not can_mark_at_risk(actor, org):
        del form["at_risk"]  # the owners' choice: left out of the post, so the save keeps it
    was_at_risk = org.at_risk
    if form.validate_on_submit() and save_form(
            form, lambda: services.update_organisation(actor, org.id,
                                                       services.OrganisationProfileInput.from_input(form.data)),
            _("The profile has been saved."), refusal=DomainError):
        if org.at_risk and not was_at_risk:
            flash(_("Your organisation is now treated as at risk: it is never named in open data or on public "
                    "pages, and its consent to be named is withdrawn."), "info")
        return redirect(url_for(".view", organisation_id=org.id))
    return render_template("organisations/form.html", form=form, organisation=org)


@bp.post("/<int:organisation_id>/verify")
@login_required
def verify(organisation_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not can_verify_organisation(actor, org):
        abort(403)
    if ConfirmForm().validate_on_submit():
        services.set_organisation_verified(actor, org, request.form.get("verified") == "1")
        db.session.commit()
        flash(_("Verification status saved."), "success")
    return redirect(url_for(".view", organisation_id=org.id))


def _render_members(actor, org: Organisation, invite_form=None, status: int = 200):
    manage = can_manage_members(actor, org)
    members = services.members_of(org)
    role_forms = {m.id: RoleForm(formdata=None, role=m.role, prefix=f"m{m.id}") for m in members} if manage else {}
    return render_template(
        "organisations/members.html",
        organisation=org,
        members=members,
        invitations=services.pending_invitations(org) if manage else [],
        invite_form=invite_form or (InviteForm(formdata=None) if manage else None),
        role_forms=role_forms,
        confirm_form=ConfirmForm(),
        can_manage=manage,
        current_user_is_member=any(m.user_id == actor.id for m in members),
        now=utcnow(),
    ), status


@bp.get("/<int:organisation_id>/members")
@login_required
def members(organisation_id: int):
    actor = current_actor()
    return _render_members(actor, _load(actor, organisation_id))


@bp.post("/<int:organisation_id>/members/invite")
@login_required
def invite(organisation_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not can_manage_members(actor, org):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation, _token = services.invite_member(actor, org.id, services.InviteMemberInput.from_input(form.data))
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, exc)
        else:
            db.session.commit()
            flash(_("An invitation has been sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for(".members", organisation_id=org.id))
    return _render_members(actor, org, invite_form=form, status=400)


def _member_action(org: Organisation, action, success_message: str):
    """Run one member service behind a CSRF-checked button; refusals become messages."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(success_message, "success")


@bp.post("/<int:organisation_id>/members/<int:membership_id>/role")
@login_required
def change_role(organisation_id: int, membership_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not can_manage_members(actor, org):
        abort(403)
    membership = _load_membership(org, membership_id)
    form = RoleForm(prefix=f"m{membership.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_member_role(actor, membership.id, services.MemberRoleInput.from_input(form.data))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The role of %(name)s has been changed.", name=membership.user.name), "success")
    return redirect(url_for(".members", organisation_id=org.id))


@bp.post("/<int:organisation_id>/members/<int:membership_id>/remove")
@login_required
def remove(organisation_id: int, membership_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not can_manage_members(actor, org):
        abort(403)
    membership = _load_membership(org, membership_id)
    name = membership.user.name
    _member_action(org, lambda: services.remove_member(actor, membership),
                   _("%(name)s is no longer a member.", name=name))
    return redirect(url_for(".members", organisation_id=org.id))


@bp.post("/<int:organisation_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke(organisation_id: int, invitation_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not can_manage_members(actor, org):
        abort(403)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != org.id:
        abort(404)
    _member_action(org, lambda: services.revoke_invitation(actor, invitation),
                   _("The invitation to %(email)s has been withdrawn.", email=invitation.email))
    return redirect(url_for(".members", organisation_id=org.id))


@bp.post("/<int:organisation_id>/leave")
@login_required
def leave(organisation_id: int):
    actor = current_actor()
    org = _load(actor, organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.leave_organisation(actor, org)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for(".members", organisation_id=org.id))
    db.session.commit()
    flash(_("You have left %(name)s.", name=org.name), "success")
    return redirect(url_for("organisations.mine"))


def _invitation_for_visitor(token: str):
    return invitation_page_for_visitor(Invitation, token, "organisations/invitation.html", already_member=False)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    if not current_user.is_authenticated:
        return _invitation_for_visitor(token)
    actor = current_actor()
    form = ConfirmForm()
    try:
        invitation = services.find_invitation(actor, token)
        if request.method == "POST" and form.validate_on_submit():
            services.accept_invitation(actor, token)
            db.session.commit()
            flash(_("Welcome to %(name)s.", name=invitation.organisation.name), "success")
            return redirect(url_for(".view", organisation_id=invitation.organisation_id))
    except DomainError as exc:
        db.session.rollback()
        return render_template("organisations/invitation.html", invitation=None, form=form,
                               error=str(exc.message)), http_status_for(exc)
    # find_invitation only returns a used invitation to someone who is already a member.
    already_member = invitation.accepted_at is not None
    return render_template("organisations/invitation.html", invitation=invitation, form=form,
                           already_member=already_member, error=None)
