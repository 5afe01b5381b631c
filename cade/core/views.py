"""Health check, language choice and the site's error pages."""

import json

from flask import Blueprint, Flask, abort, current_app, jsonify, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from cade.core.errors import DomainError, InvalidTransition, problem_details
from cade.core.urls import safe_next_url
from cade.extensions import csrf, db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), (200 if healthy else 503)


def _check_database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not reachable"; the details go to the log
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return False


def _check_broker() -> bool:
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:
        current_app.logger.exception("health check: broker unreachable")
        return False


@bp.post("/language")
@csrf.exempt
def set_language():
    # A visitor's language menu carries no CSRF token, so that public pages stay cacheable
    # (cade/core/caching.py); a visitor has nothing a forged request could change. A signed-in
    # person's menu carries one and is checked here.
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
    return redirect(safe_next_url(request.form.get("next")))


def http_status_for(error: DomainError) -> int:
    """The HTTP status of a page that explains why a link (an invitation) was refused.

    The error's own status (cade/core/errors.py), except that a link used up,
    withdrawn or expired is 410 Gone rather than 409: the link, not the
    request, is what no longer works.
    """
    return 410 if isinstance(error, InvalidTransition) else error.status


ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("You are not allowed to see this page"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not available here"),
    409: lambda: _("This cannot be done now"),
    410: lambda: _("This link no longer works"),
    413: lambda: _("The file is too large"),
    422: lambda: _("Some of what was sent cannot be accepted"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong on our side"),
}


# No list on the site has this many pages; a larger number would overflow the database's integer.
MAX_PAGE = 100_000


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def refuse_pages_that_cannot_exist():
        # Every paginated page reads ?page= as an int; one with twenty digits reached the database as an
        # OFFSET too large for it (a 500). Such a page does not exist: say so, once, for the whole site.
        page = request.args.get("page", "")
        if page.isascii() and page.isdigit() and int(page) > MAX_PAGE:
            abort(404)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("Your session expired or the form was sent twice. Please go back, reload the page and try again.")
        return render_template("errors/error.html", code=400, title=ERROR_TITLES[400](), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code or 500
        if request.path.startswith("/api/"):
            body = {"type": "about:blank", "title": error.name, "status": code, "detail": error.description,
                    "instance": request.path}
            # The error's own headers (405's Allow; 429's Retry-After is added by the limiter after the request).
            headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
            return _api_problem(body, code, headers)
        title = ERROR_TITLES.get(code, lambda: error.name)()
        message = None
        if code == 413:
            limit_mb = current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024)
            message = _("Files can be at most %(mb)d MB each. Nothing you saved before was lost: go back and choose a smaller file.", mb=limit_mb)
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(DomainError)
    def domain_error(error):
        # A refusal no view turned into a form error: the same status and message on every page and endpoint.
        db.session.rollback()
        if request.path.startswith("/api/"):
            body = problem_details(error, instance=request.path)
            # RFC 6750: a refused or missing token is answered with the scheme it must use.
            headers = [("WWW-Authenticate", 'Bearer realm="api"')] if error.status == 401 else []
            return _api_problem(body, error.status, headers)
        title = ERROR_TITLES.get(error.status, ERROR_TITLES[400])()
        return render_template("errors/error.html", code=error.status, title=title,
                               message=str(error.message)), error.status

    @app.errorhandler(Exception)
    def unexpected_error(error):
        current_app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        if request.path.startswith("/api/"):
            return _api_problem({"type": "about:blank", "title": "Internal Server Error", "status": 500,
                                 "detail": ERROR_TITLES[500](), "instance": request.path}, 500)
        return render_template("errors/error.html", code=500, title=ERROR_TITLES[500]()), 500


def _api_problem(body: dict, status: int, headers=()):
    """An RFC 9457 problem details answer, for every error under /api/."""
    return current_app.response_class(json.dumps(body), status=status, headers=list(headers),
                                      mimetype="application/problem+json")


from cade.core import views_rates  # noqa: E402,F401  (the exchange-rate pages, on this blueprint)
from cade.core.runs import views as run_views  # noqa: E402,F401  (the run progress pages, on this blueprint)
