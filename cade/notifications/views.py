"""The in-app inbox and, in development, the mailbox of sent e-mail."""

import logging

from flask import Blueprint, abort, current_app, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import TemplateError
from sqlalchemy.exc import SQLAlchemyError

from cade.core.security import CSP
from cade.extensions import db
from cade.notifications import delivery, services
from cade.notifications.models import Notification
from cade.notifications.permissions import can_read_notification
from cade.notifications.rendering import render_in_app

logger = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def inject_unread_count():
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return {}
    try:
        return {"unread_count": services.unread_count(current_user)}
    except SQLAlchemyError:  # a broken database must not also break the error page
        logger.exception("could not count unread notifications")
        return {}


@bp.get("/inbox")
@login_required
def inbox():
    page = services.inbox_page(current_user, page=request.args.get("page", 1, type=int))
    items = [(row, *_in_app_text(row)) for row in page.items]
    return render_template("notifications/inbox.html", page=page, items=items)


def _in_app_text(row: Notification) -> tuple[str, str]:
    try:
        return render_in_app(row, locale=str(get_locale() or "en"))
    except (TemplateError, ValueError):  # a kind whose templates are missing still shows up
        logger.exception("cannot render notification %s (%s) for the inbox", row.id, row.kind)
        return row.subject or row.kind, ""


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    row = db.get_or_404(Notification, notification_id)
    if not can_read_notification(current_user, row):
        abort(404)
    services.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(url_for(".inbox", page=request.form.get("page", 1, type=int)))


@bp.post("/inbox/read-all")
@login_required
def mark_all_read():
    changed = services.mark_all_read(current_user)
    db.session.commit()
    if changed:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for(".inbox"))


# The development mailbox: lets a newcomer read the e-mails the app "sent"
# (the verification link first of all) before anyone can sign in.

def _require_dev_mailbox() -> None:
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)


@bp.get("/dev/mailbox")
def mailbox():
    _require_dev_mailbox()
    entries = delivery.list_mailbox(current_app.config["MAILBOX_PATH"])
    return render_template("notifications/mailbox.html", entries=entries)


@bp.get("/dev/mailbox/<name>")
def mailbox_message(name: str):
    _require_dev_mailbox()
    message = delivery.read_mailbox_message(current_app.config["MAILBOX_PATH"], name)
    if message is None:
        abort(404)
    response = current_app.make_response(render_template("notifications/mailbox_message.html", message=message))
    # The HTML part is shown in a sandboxed srcdoc frame, which inherits this
    # page's policy: e-mail HTML carries inline styles, scripts stay forbidden.
    response.headers["Content-Security-Policy"] = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return response


from cade.notifications import views_admin  # noqa: E402,F401  (the administrators' outbox page, on this blueprint)
