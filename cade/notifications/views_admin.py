"""The administrators' view of the outbox: what failed for good, and a button to try it again.

Joins the notifications blueprint (imported at the end of cade/notifications/views.py).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cade.core.errors import InvalidTransition, NotFound
from cade.core.forms import current_actor
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.notifications import services
from cade.notifications.views import bp


@bp.get("/admin/notifications")
@admin_required
def admin_failed():
    page = services.failed_page(page=request.args.get("page", 1, type=int))
    return render_template("notifications/admin_failed.html", page=page, counts=services.outbox_counts())


@bp.post("/admin/notifications/<int:notification_id>/retry")
@admin_required
def admin_retry(notification_id: int):
    back = url_for(".admin_failed", page=request.form.get("page", 1, type=int))
    try:
        row = services.retry_notification(current_actor(), notification_id)
    except NotFound:
        abort(404)
    except InvalidTransition:
        db.session.rollback()
        flash(_("This notification is no longer failed: it was tried again already, or sent."), "info")
        return redirect(back)
    db.session.commit()
    flash(_("The notification to %(email)s will be sent again in a moment.", email=row.recipient_email), "success")
    return redirect(back)
