"""The admins' verification queue (joins the grants blueprint; imported at the end of cade/grants/views.py)."""

from flask import current_app, render_template, url_for
from flask_login import current_user

from cade.core.db import utcnow
from cade.core.permissions import admin_required
from cade.diligence.constants import DOCUMENT_KIND_LABELS
from cade.grants.verification import verification_queue
from cade.grants.views import bp
from cade.grants.constants import AMENDMENT_KIND_LABELS


def link_to(endpoint: str, **values) -> str | None:
    """The URL of `endpoint`, or None while no page answers to it (the queue then names the item as plain text).

    The pages where each item is handled are built alongside the queue; until one exists its items still show.
    """
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.get("/admin/verification")
@admin_required
def verification():
    return render_template("grants/verification.html", queue=verification_queue(utcnow().date()), link_to=link_to,
                           viewer_id=current_user.id, kind_labels=DOCUMENT_KIND_LABELS,
                           amendment_labels=AMENDMENT_KIND_LABELS)
