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
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=db_url, SECRET_KEY="dev-only-secret-change-me")
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=db_url, SECRET_KEY="x" * 40)
    assert app.config["DEV_MAILBOX"] is False
