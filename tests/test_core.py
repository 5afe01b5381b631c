"""The skeleton: health check, error pages and security headers."""


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True, "broker": True}


def test_unknown_page_gets_the_site_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"Traceback" not in response.data


def test_every_response_carries_strict_security_headers(client):
    response = client.get("/healthz")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_language_choice_is_kept_and_never_redirects_off_site(client):
    response = client.post("/language", data={"locale": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["locale"] == "fr"


def test_next_url_with_a_backslash_does_not_leave_the_site(client):
    response = client.post("/language", data={"locale": "es", "next": "/\\evil.example/"})
    assert response.headers["Location"] == "/"


def test_deadlines_show_seconds_only_when_they_matter(app):
    from datetime import datetime, timezone

    from cade.core.timeutil import format_in_zone

    with app.test_request_context():
        on_the_hour = datetime(2026, 3, 31, 14, 0, tzinfo=timezone.utc)
        last_second = datetime(2026, 3, 31, 20, 59, 59, tzinfo=timezone.utc)
        assert format_in_zone(on_the_hour, "Africa/Nairobi", locale="fr") == "31 mars 2026, 17:00 (Africa/Nairobi)"
        assert "11:59:59" in format_in_zone(last_second, "Africa/Nairobi", locale="en")


def test_file_sizes_read_in_the_readers_language(app):
    from cade.core.templating import file_size

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        # CLDR puts a narrow no-break space between number and unit in French.
        assert file_size(12 * 1024) == "12\u202fko"
        assert file_size(1) == "1\u202fko"
        assert file_size(3 * 1024 * 1024 // 2) == "1,5\u202fMo"


def test_production_refuses_to_start_with_the_development_secret(tmp_path):
    import pytest

    from cade import create_app
    from config import ProductionConfig

    db_url = f"sqlite:///{tmp_path}/p.sqlite"
    valid = {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "x" * 40, "RATELIMIT_STORAGE_URI": "memory://",
             "BASE_URL": "https://grants.example.org",
             "CELERY": dict(ProductionConfig.CELERY, broker_url="redis://127.0.0.1:6379/14")}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, **{**valid, "SECRET_KEY": "dev-only-secret-change-me"})
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(ProductionConfig, **{**valid, "RATELIMIT_STORAGE_URI": None})
    app = create_app(ProductionConfig, **valid)
    assert app.config["DEV_MAILBOX"] is False


# --- second pass: redirects, a database that is down, production error pages ---------------

import pytest  # noqa: E402

UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


@pytest.mark.parametrize("target", [
    "//evil.example/", "///evil.example/", "/\\evil.example/", "\\\\evil.example", "https://evil.example/",
    "http:/evil.example", "javascript:alert(1)", "data:text/html,x", " /\t/evil.example", "/\t/evil.example",
    "/\n/evil.example", "\x00/evil", "evil.example", "", None, "HTTPS://evil.example", "//evil.example:443@x/",
])
def test_next_urls_that_could_leave_the_site_fall_back_to_the_home_page(app, target):
    from cade.core.urls import safe_next_url

    with app.test_request_context():
        assert safe_next_url(target) == "/"


@pytest.mark.parametrize("target", ["/calls/3", "/auth/profile?tab=password#x", "/calls/3?next=//evil.example",
                                    "/%2F%2Fevil.example"])
def test_next_urls_on_this_site_are_kept(app, target):
    from cade.core.urls import safe_next_url

    with app.test_request_context():
        assert safe_next_url(target) == target


@pytest.fixture()
def fresh_app(app):
    """Build another app (own config) without taking the suite's Celery app away from it."""
    from cade import create_app
    from cade.extensions import db as _db

    made = []

    def build(config, **overrides):
        new = create_app(config, **overrides)
        made.append(new)
        return new

    yield build
    app.extensions["celery"].set_default()
    for other in made:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_healthz_answers_503_json_when_the_database_is_down(fresh_app):
    from config import TestConfig

    down = fresh_app(TestConfig, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": False, "broker": True}
    assert "Content-Security-Policy" in response.headers


def _production_app(fresh_app, tmp_path, **overrides):
    from config import ProductionConfig

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite", "SECRET_KEY": "x" * 40,
                "RATELIMIT_STORAGE_URI": "memory://", "BASE_URL": "https://grants.example.org",
                "CELERY": dict(ProductionConfig.CELERY, broker_url="redis://127.0.0.1:6379/14")}
    production = fresh_app(ProductionConfig, **{**settings, **overrides})

    @production.get("/explode")
    def explode():
        raise RuntimeError("internal detail: password=hunter2")

    return production


@pytest.mark.parametrize("database", ["sqlite", "unreachable"])
def test_production_error_pages_show_no_traceback_and_keep_the_headers(fresh_app, tmp_path, database):
    overrides = {"SQLALCHEMY_DATABASE_URI": UNREACHABLE_DATABASE} if database == "unreachable" else {}
    client = _production_app(fresh_app, tmp_path, **overrides).test_client()
    assert not client.application.testing and not client.application.debug
    # "/" fails too: the fresh database has no tables (our fault: 500), or cannot be reached (briefly: 503).
    home = 503 if database == "unreachable" else 500
    for url, code in (("/explode", 500), ("/no-such-page", 404), ("/", home)):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == code, url
        assert "Traceback" not in html and "hunter2" not in html and "OperationalError" not in html, url
        assert "<title>" in html  # the site's own page, not a bare server error
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["Strict-Transport-Security"].startswith("max-age="), url
    assert client.get("/explode").get_data(as_text=True).count("Something went wrong on our side") >= 1


def test_error_pages_carry_the_security_headers(client):
    for response in (client.get("/no-such-page"), client.post("/healthz"), client.get("/calls/999999")):
        assert response.status_code in (404, 405)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_behind_a_proxy_each_visitor_keeps_their_own_address(fresh_app):
    from flask import request

    from config import TestConfig

    proxied = fresh_app(TestConfig, PROXY_COUNT=1)

    @proxied.get("/_whoami")
    def whoami():
        return request.remote_addr

    client = proxied.test_client()
    assert client.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}).get_data(as_text=True) == "203.0.113.7"


def test_impossible_amounts_are_refused_not_crashed_on():
    import pytest

    from cade.core.money import to_minor

    for typed in ("Infinity", "NaN", "1e999999", "1" + "0" * 20):
        with pytest.raises(ValueError):
            to_minor(typed, "EUR")
    assert to_minor("20000.50", "EUR") == 2_000_050
    assert to_minor("1500", "XOF") == 1500


def test_a_page_number_no_list_can_reach_is_a_404_not_a_crash(client, login, admin):
    # Twenty digits used to reach the database as an OFFSET it cannot hold (OverflowError, a 500).
    from tests.factories import CallFactory

    call = CallFactory(closed=True)
    login(admin)
    huge = "99999999999999999999"
    for path in ("/", "/inbox", "/admin/", f"/admin/calls/{call.id}/ranking", f"/admin/calls/{call.id}/review"):
        assert client.get(f"{path}?page={huge}").status_code == 404, path
        assert client.get(f"{path}?page=2").status_code == 200, path  # an ordinary page past the end is still a page
    assert client.get("/?page=²").status_code == 200  # not a number: the first page, as before


# --- a database that cannot be reached: a friendly 503, never a traceback (issue 16, 4(d)) ---------------

UNAVAILABLE_TEXT = "Nothing you saved was lost. Please try again in a minute."


@pytest.mark.parametrize("config", ["test", "production"])
def test_pages_answer_503_with_retry_after_when_the_database_cannot_be_reached(fresh_app, tmp_path, config):
    from config import TestConfig

    if config == "production":
        down = _production_app(fresh_app, tmp_path, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    else:  # with TESTING on, unexpected errors propagate; an outage must still be the page, not an exception
        down = fresh_app(TestConfig, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    client = down.test_client()
    for url in ("/", "/calls/1", "/training/"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "30", url
        assert "The service is briefly unavailable" in html and UNAVAILABLE_TEXT in html, url
        assert "Traceback" not in html and "OperationalError" not in html and "127.0.0.1" not in html, url
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], url


def test_a_signed_in_person_gets_the_503_page_without_the_database_being_asked_who_they_are(fresh_app, tmp_path):
    from flask_login.utils import _create_identifier

    # Plain HTTP here, so the session cookie must not be HTTPS-only, or the client would never send it.
    down = _production_app(fresh_app, tmp_path, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE,
                           SESSION_COOKIE_SECURE=False)
    client = down.test_client()
    with down.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # what Flask-Login's "strong" session protection checks
    with client.session_transaction() as session:  # a person signed in before the database went away
        session.update({"_user_id": "7:1", "_fresh": True, "_id": identifier})
    # "/" fails in its view; the 404 page fails while rendering, when the menu asks who is signed in.
    for url in ("/", "/no-such-page"):
        response = client.get(url, headers={"Accept-Language": "fr"})
        html = response.get_data(as_text=True)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "30", url
        assert '<html lang="fr">' in html, url  # the reader's language, from their browser: their account is out of reach
        assert "Traceback" not in html and "OperationalError" not in html, url


def test_the_api_answers_problem_details_with_503_when_the_database_cannot_be_reached(fresh_app):
    from config import TestConfig

    down = fresh_app(TestConfig, SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    response = down.test_client().get("/api/v1/calls")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "30"
    assert response.json["status"] == 503 and UNAVAILABLE_TEXT in response.json["detail"]
    assert "psycopg" not in response.get_data(as_text=True)


def test_only_errors_of_reaching_the_database_count_as_an_outage(app, tmp_path):
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError, OperationalError

    from cade.core.observability import is_database_unavailable

    broken = create_engine(f"sqlite:///{tmp_path}/fine.sqlite")
    with pytest.raises(OperationalError) as missing_table, broken.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert not is_database_unavailable(missing_table.value)  # our fault: a 500 and a report, not "try again"
    refused = create_engine(UNREACHABLE_DATABASE)
    with pytest.raises(OperationalError) as no_answer:
        refused.connect()
    assert is_database_unavailable(no_answer.value)
    restarting = OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating connection"))
    assert is_database_unavailable(restarting)
    duplicate = IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_database_unavailable(duplicate)
    assert not is_database_unavailable(RuntimeError("not a database error"))
    unopenable = create_engine(f"sqlite:///{tmp_path}/no/such/folder/x.sqlite")
    with pytest.raises(OperationalError) as cannot_open:
        unopenable.connect()
    assert is_database_unavailable(cannot_open.value)
    broken.dispose()
    refused.dispose()
