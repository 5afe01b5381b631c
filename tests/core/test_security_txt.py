"""/.well-known/security.txt tells a researcher whom to write to, as RFC 9116 asks."""

from datetime import datetime, timedelta, timezone


def _fields(response) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in response.get_data(as_text=True).splitlines())


def test_security_txt_names_a_contact_an_expiry_within_a_year_and_the_languages(client, app):
    response = client.get("/.well-known/security.txt")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    fields = _fields(response)
    assert fields["Contact"] == "mailto:security@localhost"  # from MAIL_DEFAULT_SENDER in the test config
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(days=300) < expires - datetime.now(timezone.utc) <= timedelta(days=366)
    assert fields["Preferred-Languages"] == "en, fr, es, pt"
    assert fields["Canonical"] == f"{app.config['BASE_URL'].rstrip('/')}/.well-known/security.txt"
    assert "public" in response.headers["Cache-Control"]


def test_an_operator_names_the_contact(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SECURITY_CONTACT", "https://grants.example.org/security")

    assert _fields(client.get("/.well-known/security.txt"))["Contact"] == "https://grants.example.org/security"
