"""Grant pages: the organisation's grants, one grant with its timeline and agreement, and the admins' list."""

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from cade.core.errors import NotFound
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.grants import services
from cade.core.db import utcnow
from cade.grants.constants import GRANT_STATUS_LABELS, REPORT_KIND_LABELS
from cade.grants.indicators import grant_progress
from cade.grants.overview import NEEDS, attention
from cade.grants.permissions import can_view_grant
from cade.grants.timeline import grant_timeline
from cade.programmes.models import Call

bp = Blueprint("grants", __name__)


def _viewable(grant_id: int):
    try:
        grant = services.get_grant(grant_id)
    except NotFound:
        abort(404)
    if not can_view_grant(current_user, grant):
        abort(404)  # another organisation's grant does not exist for this reader
    return grant


@bp.get("/grants/")
@login_required
def mine():
    grants = services.grants_of_user(current_user)
    return render_template("grants/mine.html", grants=grants, status_labels=GRANT_STATUS_LABELS,
                           attention=attention(grants, utcnow().date()), report_labels=REPORT_KIND_LABELS)


@bp.get("/grants/<int:grant_id>")
@login_required
def show(grant_id: int):
    from cade.grants.views_tranches import schedule_context

    grant = _viewable(grant_id)
    return render_template("grants/show.html", grant=grant, timeline=grant_timeline(grant),
                           status_labels=GRANT_STATUS_LABELS, progress=grant_progress(grant),
                           **schedule_context(grant))


@bp.get("/grants/<int:grant_id>/agreement")
@login_required
def agreement(grant_id: int):
    grant = _viewable(grant_id)
    try:
        stream = services.open_agreement(grant)
    except NotFound:
        abort(404)
    reference = grant.decision.application.reference or str(grant.id)
    response = send_file(stream, mimetype="application/pdf", as_attachment=True,
                         download_name=f"grant-agreement-{reference}.pdf", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/admin/grants/")
@admin_required
def admin_index():
    args, today = request.args, utcnow().date()
    filters = {"status": args.get("status") if args.get("status") in GRANT_STATUS_LABELS else None,
               "call": args.get("call", type=int), "needs": args.get("needs") if args.get("needs") in NEEDS else None}
    page = services.all_grants(status=filters["status"], call_id=filters["call"], need=filters["needs"], today=today,
                               before=args.get("before", type=int), after=args.get("after", type=int))
    if not page.grants and ("before" in args or "after" in args):
        # A stale or hand-made link (a page past the end, a grant that is not there): start the list again.
        return redirect(url_for(".admin_index", **filters))
    calls = db.session.scalars(db.select(Call).order_by(Call.title)).all()
    return render_template("grants/admin_index.html", page=page, attention=attention(page.grants, today),
                           calls=calls, filters=filters, status_labels=GRANT_STATUS_LABELS)


from cade.grants import views_tranches  # noqa: E402,F401  (its routes join this blueprint)
from cade.grants import views_reports  # noqa: E402,F401
from cade.grants import views_indicators  # noqa: E402,F401
from cade.grants import views_closure  # noqa: E402,F401
from cade.grants import views_report_templates  # noqa: E402,F401
from cade.grants import views_amendments  # noqa: E402,F401
from cade.grants import views_verification  # noqa: E402,F401
