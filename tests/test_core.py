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
