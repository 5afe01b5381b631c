"""Routes for grant amendments and agreement versions (joins the grants blueprint; imported at the end of cade/grants/views.py)."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import admin_required, is_admin
from cade.extensions import db
from cade.grants import amendments as service
from cade.grants.agreement_versions import open_version
from cade.grants.constants import AMENDMENT_KIND_LABELS, AMENDMENT_STATUS_LABELS, AmendmentKind, AmendmentStatus
from cade.grants.views import _viewable, bp

bp.add_app_template_global(service.amendments_overview, "amendments_overview")

KINDS = tuple(kind.value for kind in AmendmentKind)
# What each kind's form posts → what its command reads ("extension-days" → "days"); the field ids are prefixed
# because the three forms share one page.
FIELDS = {AmendmentKind.EXTENSION: ("days", "reason"), AmendmentKind.SIGNATORY: ("name", "position", "reason"),
          AmendmentKind.REALLOCATION: ("reason",)}


def _errors(error: ValidationFailed, kind: str) -> dict:
    plain = set(FIELDS[AmendmentKind(kind)]) | {"moves"}
    return {(f"{kind}-{name}" if name in plain else name): [str(m) for m in messages]
            for name, messages in error.errors.items()}


def _labels(kind: str | None) -> dict:
    """Field id → label, in page order, for the error summary of the form `kind`."""
    labels = {"extension-days": _("Number of days"), "extension-reason": _("Why the grant needs more time"),
              "reallocation-moves": _("Amounts to move")}
    for index in range(service.MAX_MOVES):
        labels |= {f"from-{index}": _("Move %(n)d: from the line", n=index + 1),
                   f"to-{index}": _("Move %(n)d: to the line", n=index + 1),
                   f"amount-{index}": _("Move %(n)d: amount", n=index + 1)}
    labels |= {"reallocation-reason": _("Why the money moves"), "signatory-name": _("Name of the new signatory"),
               "signatory-position": _("Their position"), "signatory-reason": _("Why the signatory changes"),
               "approve-reason": _("Comments for the organisation"), "refuse-reason": _("Why it is refused")}
    return labels


def _summary(errors: dict) -> list[tuple[str, str, list]]:
    labels = _labels(None)
    known = [(name, labels[name], errors[name]) for name in labels if name in errors]
    first = {"reallocation-moves": "from-0"}
    return [(first.get(name, name), label, messages) for name, label, messages in known]


def _page(grant, *, kind=None, values=None, errors=None, status=200):
    errors = errors or {}
    overview, lines = service.amendments_overview(grant), service.budget_lines(grant.id)
    return render_template(
        "grants/amendments.html", grant=grant, overview=overview, budget=list(lines.values()),
        changes={a.id: service.moves_described(a, lines) for a in overview.amendments}, can_request=service.can_request_amendment(current_user, grant),
        notice_percent=grant.call.programme.reallocation_notice_percent, kind=kind, values=values or {},
        errors=errors, summary=_summary(errors), kind_labels=AMENDMENT_KIND_LABELS,
        status_labels=AMENDMENT_STATUS_LABELS,
        max_moves=service.MAX_MOVES, max_days=service.MAX_EXTENSION_DAYS, is_admin=is_admin(current_user)), status


@bp.get("/grants/<int:grant_id>/amendments")
@login_required
def amendments(grant_id: int):
    return _page(_viewable(grant_id))


def _input(kind: str, form) -> dict:
    data = {name: form.get(f"{kind}-{name}", "") for name in FIELDS[AmendmentKind(kind)]}
    if kind == AmendmentKind.REALLOCATION:
        data["moves"] = [{key: form.get(f"{key}-{index}", "") for key in ("from", "to", "amount")}
                         for index in range(service.MAX_MOVES)]
    return data


@bp.post("/grants/<int:grant_id>/amendments/<any(extension, reallocation, signatory):kind>")
@login_required
def request_amendment(grant_id: int, kind: str):
    grant = _viewable(grant_id)
    values = request.form.to_dict()
    try:
        command = service.INPUTS[kind].from_input(_input(kind, request.form), currency=grant.currency,
                                                  locale=str(get_locale() or "en"))
        amendment = service.request_amendment(current_user, grant.id, command)
    except ValidationFailed as error:
        db.session.rollback()
        return _page(grant, kind=kind, values=values, errors=_errors(error, kind), status=error.status)
    except (PermissionDenied, InvalidTransition) as error:
        db.session.rollback()
        flash(str(error), "error")
        return _page(grant, kind=kind, values=values, status=error.status)
    except NotFound:
        abort(404)
    db.session.commit()
    if amendment.status == AmendmentStatus.NOTED:
        flash(_("The reallocation is in force on notice: the budget has changed and the programme team has been "
                "told."), "success")
    else:
        flash(_("Your request was sent. The programme team will approve or refuse it and tell you."), "success")
    return redirect(url_for("grants.amendments", grant_id=grant.id))


@bp.get("/grants/<int:grant_id>/agreement/v<int:version>")
@login_required
def agreement_version(grant_id: int, version: int):
    grant = _viewable(grant_id)
    try:
        found, stream = open_version(grant, version)
    except NotFound:
        abort(404)
    reference = grant.decision.application.reference or str(grant.id)
    response = send_file(stream, mimetype="application/pdf", as_attachment=True,
                         download_name=f"grant-agreement-{reference}-v{found.version}.pdf", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _admin_page(grant, amendment, *, values=None, errors=None, refusal=None, status=200):
    errors = errors or {}
    return render_template(
        "grants/admin_amendment.html", grant=grant, amendment=amendment, moves=service.moves_described(amendment),
        budget=list(service.budget_lines(grant.id).values()), can_decide=service.can_decide_amendment(current_user, amendment),
        values=values or {}, errors=errors, summary=_summary(errors), refusal=refusal,
        kind_labels=AMENDMENT_KIND_LABELS, status_labels=AMENDMENT_STATUS_LABELS), status


def _amendment_or_404(grant, amendment_id: int):
    try:
        return service.amendment_of(grant, amendment_id)
    except NotFound:
        abort(404)


@bp.get("/admin/grants/<int:grant_id>/amendments/<int:amendment_id>")
@admin_required
def admin_amendment(grant_id: int, amendment_id: int):
    grant = _viewable(grant_id)
    return _admin_page(grant, _amendment_or_404(grant, amendment_id))


@bp.post("/admin/grants/<int:grant_id>/amendments/<int:amendment_id>/<any(approve, refuse):decision>")
@admin_required
def admin_decide_amendment(grant_id: int, amendment_id: int, decision: str):
    grant = _viewable(grant_id)
    amendment = _amendment_or_404(grant, amendment_id)
    reason = request.form.get("reason", "")
    try:
        if decision == "approve":
            service.approve_amendment(current_user, amendment.id, reason)
        else:
            service.refuse_amendment(current_user, amendment.id, reason)
    except (ValidationFailed, InvalidTransition) as error:
        db.session.rollback()
        errors = ({f"{decision}-{name}": [str(m) for m in messages] for name, messages in error.errors.items()}
                  if isinstance(error, ValidationFailed) else {})
        amendment = _amendment_or_404(grant, amendment_id)
        return _admin_page(grant, amendment, values={f"{decision}-reason": reason}, errors=errors,
                           refusal=None if errors else str(error), status=error.status)
    db.session.commit()
    if decision == "approve":
        flash(_("The amendment is approved and in force; a new version of the agreement was made. The organisation "
                "has been told."), "success")
    else:
        flash(_("The amendment is refused. The organisation has been told why."), "success")
    return redirect(url_for("grants.admin_amendment", grant_id=grant.id, amendment_id=amendment.id))
