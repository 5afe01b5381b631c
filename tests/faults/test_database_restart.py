"""(d) PostgreSQL "restarted" under the production web server: every connection cut and new ones refused
for a few seconds, by a TCP proxy between gunicorn and the shared server (which is never touched).

Requests in between, a visitor's and a signed-in CSO's, get the friendly 503 page (no traceback); when
the proxy comes back the next requests succeed without restarting anything (pool_pre_ping). Prints the
time from the restore to the first 200 (pytest -s).
"""

import re
import secrets
import time

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.factories import PASSWORD, CallFactory, MembershipFactory, UserFactory
from tests.faults.harness import Gunicorn, TCPProxy, services_only, wait_until

pytestmark = services_only

OUTAGE_SECONDS = 3


@pytest.fixture(scope="module")
def proxy(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    server = TCPProxy(url.port or 5432, url.host or "127.0.0.1")
    server.start()
    yield server
    server.cut()


@pytest.fixture(scope="module")
def web(app, proxy, own_redis):
    """gunicorn with two workers, reaching the test database through the proxy."""
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(host="127.0.0.1", port=proxy.port)
    server = Gunicorn({
        "DATABASE_URL": database.render_as_string(hide_password=False),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_STORAGE_URI": own_redis.url,
        "CELERY_BROKER_URL": own_redis.url,
        "STORAGE_PATH": app.config["STORAGE_PATH"],
        "SESSION_COOKIE_SECURE": "false",
        "LOG_FORMAT": "text",
    })
    server.env["BASE_URL"] = server.url
    server.start()
    yield server
    server.close()


def _sign_in(web, email: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{web.url}/auth/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', form)
    response = session.post(f"{web.url}/auth/login", timeout=10, allow_redirects=False,
                            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1) or token.group(2)})
    assert response.status_code == 302, response.text[-2000:]
    return session


def test_requests_during_a_database_outage_get_a_503_page_and_the_app_recovers_by_itself(db, proxy, web):
    CallFactory(title="Community Networks Fund 2026")
    cso = MembershipFactory(user=UserFactory(email="cso@example.org", name="Wanjiru Kamau")).user
    signed_in, visitor = _sign_in(web, cso.email), requests.Session()
    pages = [(visitor, "/"), (signed_in, "/applications/")]
    for _ in range(3):  # both gunicorn workers hold pooled connections now
        for session, path in pages:
            assert session.get(f"{web.url}{path}", timeout=10).status_code == 200

    proxy.cut()
    cut_at = time.monotonic()
    answers = []
    while time.monotonic() - cut_at < OUTAGE_SECONDS:
        for session, path in pages:
            begun = time.monotonic()
            response = session.get(f"{web.url}{path}", timeout=10)
            answers.append((path, response, time.monotonic() - begun))
        time.sleep(0.1)
    proxy.restore()
    restored = time.monotonic()

    def first_success():
        return signed_in.get(f"{web.url}/applications/", timeout=10).status_code == 200

    wait_until(first_success, "a 200 after the database came back", timeout=30, interval=0.05,
               on_timeout=web.log_tail)
    recovery = time.monotonic() - restored

    statuses = sorted({response.status_code for _path, response, _seconds in answers})
    slowest = max(seconds for _path, _response, seconds in answers)
    print(f"\n[faults d] {len(answers)} requests during a {OUTAGE_SECONDS}s database outage answered {statuses} "
          f"(slowest {slowest:.2f}s); first 200 {recovery:.2f}s after the database came back")
    for path, response, _seconds in answers:
        assert response.status_code == 503, [(p, r.status_code, round(s, 2)) for p, r, s in answers]
        assert "Traceback" not in response.text and "psycopg" not in response.text
        assert "briefly unavailable" in response.text and "Nothing you saved was lost" in response.text
        assert response.headers.get("Retry-After")
    for _ in range(4):  # every worker recovered, and the CSO is still signed in
        for session, path in pages:
            assert session.get(f"{web.url}{path}", timeout=10).status_code == 200
    assert "Wanjiru Kamau" in signed_in.get(f"{web.url}/applications/", timeout=10).text
