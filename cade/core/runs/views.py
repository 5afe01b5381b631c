"""The one progress page of every run (/runs/<id>), and the small JSON view its script polls."""

from flask import abort, jsonify, make_response, render_template, url_for
from flask_login import login_required

from cade.core.forms import current_actor
from cade.core.runs.kinds import get_kind
from cade.core.runs.models import Run
from cade.core.runs.permissions import can_view_run
from cade.core.runs.services import RUN_ERROR_LABELS, RUN_STATUS_LABELS
from cade.core.views import bp
from cade.extensions import db

REFRESH_SECONDS = 3


def _load(run_id: int) -> Run:
    run = db.session.get(Run, run_id)
    if run is None or not can_view_run(current_actor(), run):
        abort(404)  # someone else's run does not exist for this reader
    return run


@bp.get("/runs/<int:run_id>")
@login_required
def run(run_id):
    run = _load(run_id)
    kind = get_kind(run.kind)
    context = kind.context(run)
    # The kind's zone (a call's) when it names one, else the reader's own.
    context["zone"] = context.get("zone") or current_actor().timezone or "UTC"
    html = render_template("runs/run.html", run=run, kind=kind, refresh=REFRESH_SECONDS if run.is_active else None,
                           RUN_STATUS_LABELS=RUN_STATUS_LABELS, RUN_ERRORS={**RUN_ERROR_LABELS, **kind.error_labels},
                           **context)
    response = make_response(html)
    if run.is_active:
        response.headers["Cache-Control"] = "no-store"  # the next look must show the progress made since
    return response


@bp.get("/runs/<int:run_id>.json")
@login_required
def run_progress(run_id):
    run = _load(run_id)
    response = jsonify(status=run.status, status_label=str(RUN_STATUS_LABELS.get(run.status, run.status)),
                       progress=run.progress, active=run.is_active, page=url_for("core.run", run_id=run.id))
    response.headers["Cache-Control"] = "no-store"
    return response
