"""Public calls: published only, paginated by signed cursor, cacheable with an ETag."""

from sqlalchemy import select

from cade.programmes.models import Call
from tests.api.conftest import problem
from tests.factories import CallFactory, ProgrammeFactory
from tests.querycount import count_statements


def test_a_call_reads_as_documented(client, db, conforms):
    call = CallFactory(title="Mesh networks 2026", min_award_minor=5_000_00, max_award_minor=40_000_00,
                       budget_envelope_minor=100_000_00, translations={"fr": {"title": "Réseaux", "description": "x"}})
    response = conforms(client.get(f"/api/v1/calls/{call.id}"))
    body = response.get_json()
    assert body["title"] == "Mesh networks 2026"
    assert body["min_award"] == {"amount": "5000.00", "currency": "USD"}
    assert body["max_award"] == {"amount": "40000.00", "currency": "USD"}
    assert body["budget_envelope"] == {"amount": "100000.00", "currency": "USD"}
    assert body["programme"] == {"id": call.programme.id, "name": call.programme.name, "kind": "community_network"}
    assert body["languages"] == ["en", "fr"]
    assert body["timezone"] == "Africa/Nairobi"
    assert body["url"].endswith(f"/calls/{call.id}")


def test_a_draft_call_and_a_missing_one_are_not_found(client, db, conforms):
    draft = CallFactory(draft=True)
    for path in (f"/api/v1/calls/{draft.id}", "/api/v1/calls/999999", "/api/v1/calls/2147483648",
                 "/api/v1/calls/99999999999999999999999"):
        conforms(client.get(path), path=path)
        problem(client.get(path), 404)
    listed = client.get("/api/v1/calls").get_json()["items"]
    assert draft.id not in [item["id"] for item in listed]


def test_the_list_walks_every_published_call_with_constant_queries(client, db, conforms):
    programme = ProgrammeFactory()
    CallFactory.create_batch(7, programme=programme)
    CallFactory(programme=programme, draft=True)
    published = sorted(db.session.scalars(select(Call.id).where(Call.status == "published")))

    seen, statements, cursor = [], [], None
    while True:
        path = "/api/v1/calls?limit=3" + (f"&cursor={cursor}" if cursor else "")
        response, count = count_statements(lambda: client.get(path))  # noqa: B023
        conforms(response, path="/api/v1/calls")
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        statements.append(count)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == published
    assert len(set(statements)) == 1, statements


def test_a_tampered_or_foreign_cursor_is_refused_naming_it(client, db, conforms):
    CallFactory.create_batch(2)
    cursor = client.get("/api/v1/calls?limit=1").get_json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in (tampered, "nonsense", "a.b"):
        response = conforms(client.get(f"/api/v1/calls?cursor={bad}"), path="/api/v1/calls")
        assert "cursor" in problem(response, 400)["errors"]


def test_unknown_and_malformed_parameters_are_refused_naming_each(client, db, conforms):
    response = conforms(client.get("/api/v1/calls?sort=title&page=2"), path="/api/v1/calls")
    assert set(problem(response, 400)["errors"]) == {"sort", "page"}
    for limit in ("0", "101", "ten"):
        response = conforms(client.get(f"/api/v1/calls?limit={limit}"), path="/api/v1/calls")
        assert list(problem(response, 400)["errors"]) == ["limit"]
    assert list(problem(client.get("/api/v1/calls?limit=1&limit=2"), 400)["errors"]) == ["limit"]
    call = CallFactory()
    assert list(problem(client.get(f"/api/v1/calls/{call.id}?x=1"), 400)["errors"]) == ["x"]


def test_public_documents_carry_an_etag_and_answer_304(client, db):
    call = CallFactory()
    for path in ("/api/v1/calls", f"/api/v1/calls/{call.id}"):
        first = client.get(path)
        assert first.headers["Cache-Control"] == "public, max-age=60"
        etag = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and not again.data
    call.title = "Renamed"
    db.session.commit()
    changed = client.get(f"/api/v1/calls/{call.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["title"] == "Renamed"


def test_a_wrong_method_is_a_problem_with_allow(client, db):
    body = problem(client.post("/api/v1/calls"), 405)
    assert body["instance"] == "/api/v1/calls"
    assert "GET" in client.delete("/api/v1/calls").headers["Allow"]
    problem(client.get("/api/v1/nothing-here"), 404)
