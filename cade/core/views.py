"""Health, readiness and metrics endpoints, language choice and the site's error pages."""

import json
import logging

from flask import (Blueprint, Flask, abort, current_app, g, got_request_exception, jsonify, redirect,
                   render_template, request, session)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from cade.core.errors import DomainError, InvalidTransition, problem_details
from cade.core.observability import is_database_unavailable, metrics, probes
from cade.core.urls import safe_next_url
from cade.extensions import csrf, db

logger = logging.getLogger(__name__)

bp = Blueprint("core", __name__)

# How long a person (or a client of the API) is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


@bp.get("/healthz")
def healthz():
    # Liveness, as it always was: the database and the broker answer.
    checks = probes.check(current_app._get_current_object(), ["database", "broker"])
    healthy = all(checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), (200 if healthy else 503)


@bp.get("/readyz")
def readyz():
    # Readiness: a load balancer sends people here only if everything a request may need answers.
    checks = probes.check(current_app._get_current_object(), ["database", "broker", "storage"])
    ready = all(checks.values())
    return jsonify(status="ready" if ready else "not ready", **checks), (200 if ready else 503)


@bp.get("/metrics")
def metrics_page():
    # Off (404) until METRICS_TOKEN is set. With one, a wrong or missing token is told so (401) rather
    # than 404: the endpoint's existence is no secret (docs/deploy.md), and a 404 would send an operator
    # with a mistyped token looking for a wrong path. The token itself is compared in constant time.
    token = metrics.metrics_token()
    if not token:
        abort(404)
    if not metrics.token_allows(request.headers.get("Authorization"), token):
        return current_app.response_class(_("A valid metrics token is needed."), status=401, mimetype="text/plain",
                                          headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = metrics.scrape(current_app._get_current_object())
    return current_app.response_class(body, content_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})


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
    503: lambda: _("The service is briefly unavailable"),
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
        # An error page that itself met a database that is down (loading the signed-in person, say): a 503.
        if is_database_unavailable(getattr(error, "original_exception", None)):
            return database_unavailable(error.original_exception)
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
        if is_database_unavailable(error):
            return database_unavailable(error)
        current_app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        # Handled here, Flask would not tell its listeners (Sentry's, cade/core/observability/sentry.py).
        got_request_exception.send(current_app._get_current_object(), exception=error)
        if request.path.startswith("/api/"):
            return _api_problem({"type": "about:blank", "title": "Internal Server Error", "status": 500,
                                 "detail": ERROR_TITLES[500](), "instance": request.path}, 500)
        return render_template("errors/error.html", code=500, title=ERROR_TITLES[500]()), 500


def database_unavailable(error: Exception):
    """The answer while the database cannot be reached: 503 and Retry-After, with a page that needs no database.

    The session is invalidated: a connection it held is discarded, not handed
    back to the pool, and the next request starts afresh (pool_pre_ping tests
    what the pool gives it). The page is rendered as for a visitor: loading the
    signed-in person would ask the same database again. Should the page still
    fail, a plain one says the same.
    """
    # One line, not a traceback: during an outage every request comes here.
    logger.warning("database unreachable on %s %s: %s", request.method, request.path, probes.describe(error))
    try:
        db.session().invalidate()  # scoped_session does not pass invalidate() on
    except Exception:  # a session that cannot even be closed cleanly is dropped at teardown anyway
        logger.warning("could not invalidate the session after a database outage", exc_info=True)
    # Before any text is translated: choosing the language asks who is signed in (cade/wiring.py: select_locale).
    g._login_user = current_app.login_manager.anonymous_user()
    title, message = ERROR_TITLES[503](), _("Nothing you saved was lost. Please try again in a minute.")
    headers = [("Retry-After", str(RETRY_AFTER_SECONDS))]
    if request.path.startswith("/api/"):
        return _api_problem({"type": "about:blank", "title": "Service Unavailable", "status": 503,
                             "detail": f"{title}. {message}", "instance": request.path}, 503, headers)
    try:
        html = render_template("errors/error.html", code=503, title=title, message=message)
    except Exception:
        logger.exception("the error page could not be rendered during a database outage")
        html = (f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
                f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>")
    return html, 503, headers


def _api_problem(body: dict, status: int, headers=()):
    """An RFC 9457 problem details answer, for every error under /api/."""
    return current_app.response_class(json.dumps(body), status=status, headers=list(headers),
                                      mimetype="application/problem+json")


from cade.core import views_rates  # noqa: E402,F401  (the exchange-rate pages, on this blueprint)
from cade.core.runs import views as run_views  # noqa: E402,F401  (the run progress pages, on this blueprint)
from cade.core import views_audit  # noqa: E402,F401  (the audit log, on this blueprint)
