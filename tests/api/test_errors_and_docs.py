"""Problem details for every error (429 and 500 included), the OpenAPI document and its readable page."""

import pytest

from cade.api import queries
from tests.api.conftest import bearer, problem
from tests.factories import CallFactory, MembershipFactory


def test_public_calls_are_limited_per_address_and_token_calls_per_token(limited_app, db, make_token, conforms):
    client = limited_app.test_client()
    CallFactory()
    assert [client.get("/api/v1/calls").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/calls")
    problem(conforms(response, path="/api/v1/calls"), 429)
    assert int(response.headers["Retry-After"]) > 0

    first, second = make_token(MembershipFactory().user), make_token(MembershipFactory().user)
    assert [client.get("/api/v1/applications", headers=bearer(first)).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/applications", headers=bearer(first))
    problem(conforms(limited, path="/api/v1/applications"), 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/applications", headers=bearer(second)).status_code == 200


def test_an_unexpected_error_is_a_500_problem_without_a_traceback(app, client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "calls_after", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    response = client.get("/api/v1/calls")
    body = problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["instance"] == "/api/v1/calls"


def test_the_document_lists_every_endpoint_of_the_design(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["ETag"]
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    operations = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    assert operations == {
        ("GET", "/api/v1/calls"), ("GET", "/api/v1/calls/{call_id}"),
        ("GET", "/api/v1/applications"), ("GET", "/api/v1/applications/{application_id}"),
        ("GET", "/api/v1/reports/funding-summary"), ("POST", "/api/v1/report-runs"),
        ("GET", "/api/v1/report-runs/{run_id}"),
        ("GET", "/api/v1/open-data/360giving.json"), ("GET", "/api/v1/open-data/iati.xml"),
    }
    applications = document["paths"]["/api/v1/applications"]["get"]
    assert applications["security"] == [{"bearer": []}]
    assert {"400", "401", "403", "429"} <= set(applications["responses"])
    assert document["paths"]["/api/v1/calls"]["get"]["security"] == []
    summary = document["paths"]["/api/v1/reports/funding-summary"]["get"]
    group_by = next(p for p in summary["parameters"] if p["name"] == "group_by")
    assert group_by["schema"]["type"] == "array" and group_by["explode"] is True
    assert {"region", "subregion", "country", "stakeholder_group", "organisation_type", "programme", "call",
            "year"} <= set(document["components"]["schemas"]["Dimension"]["enum"])


def test_the_document_is_a_valid_openapi_3_1_document(document):
    from jsonschema import Draft202012Validator

    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)  # each component is valid JSON Schema 2020-12
    import schemathesis

    schema = schemathesis.openapi.from_dict(document)
    assert len(list(schema.get_all_operations())) == 9


def test_the_docs_page_is_light_readable_and_accessible(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "GET /api/v1/applications" in page and "Authorization: Bearer $CADE_TOKEN" in page
    assert "cdn" not in page.lower() and "<script" in page  # the site's own script only
    assert len(response.data) < 60_000


@pytest.mark.parametrize("kind, media", [("360giving.json", "application/json"), ("iati.xml", "application/xml")])
def test_open_data_documents_are_served_with_their_etag(client, db, kind, media):
    response = client.get(f"/api/v1/open-data/{kind}")
    assert response.status_code == 200 and response.mimetype == media
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith('"\\"')
    assert client.get(f"/api/v1/open-data/{kind}", headers={"If-None-Match": etag}).status_code == 304
    assert set(problem(client.get(f"/api/v1/open-data/{kind}?x=1"), 400)["errors"]) == {"x"}
