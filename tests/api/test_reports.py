"""Administrators' reports through the API: the funding summary, and report runs queued and followed."""

from sqlalchemy import select

from cade.accounts.models import UserRole
from cade.core.db import utcnow
from cade.core.runs import Run, start_run
from cade.extensions import db as _db
from tests.api.conftest import bearer, problem
from tests.factories import DecisionFactory, UserFactory

SUMMARY = "/api/v1/reports/funding-summary"


def test_an_admin_token_reads_the_funding_summary(client, db, admin, make_token, conforms):
    DecisionFactory(released_at=utcnow(), amount_minor=10_000_00)
    token = make_token(admin, scopes=("admin-read",))
    response = conforms(client.get(f"{SUMMARY}?group_by=region,country&currency=USD", headers=bearer(token)),
                        path=SUMMARY)
    body = response.get_json()
    assert body["currency"] == "USD"
    assert set(body["breakdowns"]) == {"region", "country"}
    assert body["total"]["converted"]["awarded"] == 10_000_00
    again = client.get(f"{SUMMARY}?group_by=region&group_by=country", headers=bearer(token)).get_json()
    assert set(again["breakdowns"]) == {"region", "country"}


def test_bad_filters_are_refused_naming_each(client, db, admin, make_token, conforms):
    token = make_token(admin, scopes=("admin-read",))
    cases = {
        "group_by=colour": {"group_by"},
        "from=yesterday&to=2026-13-01": {"from", "to"},
        "from=2026-05-01&to=2026-01-01": {"to"},
        "programme=999999&call=abc": {"call"},
        "programme=999999": {"programme"},
        "currency=usd": {"currency"},
        "currency=XXZ": {"currency"},
        "region=africa": {"region"},
    }
    for query, fields in cases.items():
        response = conforms(client.get(f"{SUMMARY}?{query}", headers=bearer(token)), path=SUMMARY)
        assert set(problem(response, 400)["errors"]) == fields, query


def test_a_read_token_or_a_former_admin_gets_403(client, db, admin, make_token, conforms):
    user = UserFactory()
    response = conforms(client.get(SUMMARY, headers=bearer(make_token(user))), path=SUMMARY)
    problem(response, 403)
    problem(client.post("/api/v1/report-runs", json={}, headers=bearer(make_token(user, scopes=["read"]))), 403)
    token = make_token(admin, scopes=("admin-read",))
    _db.session.execute(UserRole.__table__.delete().where(UserRole.user_id == admin.id))
    _db.session.commit()
    problem(client.get(SUMMARY, headers=bearer(token)), 403)
    problem(client.get(SUMMARY), 401)


def test_a_report_run_is_queued_and_followed(client, db, admin, make_token, conforms, broker):
    token = make_token(admin, scopes=("admin-read",))
    response = client.post("/api/v1/report-runs", json={"group_by": ["region"], "currency": "USD",
                                                        "from": "2026-01-01"}, headers=bearer(token))
    conforms(response, method="POST", path="/api/v1/report-runs")
    assert response.status_code == 202
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/report-runs/{body['id']}")
    assert body["status"] == "queued" and body["files"] == []
    run = _db.session.get(Run, body["id"])
    assert run.params["group_by"] == ["region"] and run.params["date_from"] == "2026-01-01"
    assert "reports.compile" in [name for name, _args in broker()]
    followed = conforms(client.get(response.headers["Location"], headers=bearer(token)),
                        path=f"/api/v1/report-runs/{run.id}").get_json()
    assert followed["id"] == run.id and followed["progress"] == 0


def test_a_finished_run_links_its_files(client, db, admin, make_token, conforms):
    run = start_run(admin, "report", {"report": "funding-summary", "currency": "USD"})
    run.status, run.progress = "succeeded", 100
    run.finished_at = run.created_at
    run.files = [{"format": "csv", "stored_name": "x", "name": "funding-summary-csv.zip",
                  "content_type": "application/zip", "size": 10}]
    _db.session.commit()
    body = conforms(client.get(f"/api/v1/report-runs/{run.id}",
                               headers=bearer(make_token(admin, scopes=("admin-read",))))).get_json()
    assert body["files"][0]["url"].endswith(f"/reports/{run.id}/csv")


def test_bad_bodies_and_unknown_runs(client, db, admin, make_token, conforms):
    token = make_token(admin, scopes=("admin-read",))
    for kwargs, fields in (({"data": "nope"}, {"body"}), ({"json": []}, {"body"}),
                           ({"json": {"group_by": ["colour"], "colour": 1}}, {"group_by", "colour"}),
                           ({"json": {"from": "2026-02-30"}}, {"from"})):
        response = client.post("/api/v1/report-runs", headers=bearer(token), **kwargs)
        conforms(response, method="POST", path="/api/v1/report-runs")
        assert set(problem(response, 400)["errors"]) == fields, kwargs
    assert _db.session.scalars(select(Run)).all() == []
    other = start_run(admin, "assignment", {"call_id": 1})
    _db.session.commit()
    for run_id in (other.id, 999999):
        response = client.get(f"/api/v1/report-runs/{run_id}", headers=bearer(token))
        problem(conforms(response, path="/api/v1/report-runs/1"), 404)
