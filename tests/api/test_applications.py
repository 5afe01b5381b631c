"""The token holder's applications: their organisations' only, by token only, decisions once released."""

from datetime import timedelta

from sqlalchemy import update

from cade.accounts.models import ApiToken
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.api.conftest import bearer, problem
from tests.factories import (
    ApplicationFactory, CallFactory, DecisionFactory, MembershipFactory, OrganisationFactory, UserFactory,
)
from tests.querycount import count_statements


def _member():
    membership = MembershipFactory()
    return membership.user, membership.organisation


def test_a_member_reads_their_organisations_applications_only(client, db, make_token, conforms):
    user, organisation = _member()
    mine = ApplicationFactory(organisation=organisation, submitted=True, title="Ours")
    draft = ApplicationFactory(organisation=organisation)
    theirs = ApplicationFactory(submitted=True)
    token = make_token(user)

    body = conforms(client.get("/api/v1/applications", headers=bearer(token))).get_json()
    assert [item["id"] for item in body["items"]] == [mine.id, draft.id]
    one = conforms(client.get(f"/api/v1/applications/{mine.id}", headers=bearer(token))).get_json()
    assert one["reference"] == mine.reference and one["status"] == "submitted"
    assert one["organisation"] == {"id": organisation.id, "name": organisation.name}
    assert one["call"] == {"id": mine.call.id, "title": mine.call.title}
    assert one["requested_amount"] == {"amount": "20000.00", "currency": "USD"}
    assert one["decision"] is None
    response = client.get(f"/api/v1/applications/{theirs.id}", headers=bearer(token))
    conforms(response, path="/api/v1/applications/1")
    problem(response, 404)


def test_an_admin_or_reviewer_gains_nothing_beyond_their_memberships(client, db, make_token):
    admin = UserFactory(roles=["admin", "reviewer"])
    other = ApplicationFactory(submitted=True)
    token = make_token(admin, scopes=("read", "admin-read"))
    assert client.get("/api/v1/applications", headers=bearer(token)).get_json()["items"] == []
    problem(client.get(f"/api/v1/applications/{other.id}", headers=bearer(token)), 404)


def test_the_decision_shows_once_released(client, db, make_token):
    user, organisation = _member()
    decided = DecisionFactory(application__organisation=organisation)
    released = DecisionFactory(application__organisation=organisation, released_at=utcnow(),
                               application__status="awarded", amount_minor=12_345_00)
    token = make_token(user)
    items = {item["id"]: item for item in client.get("/api/v1/applications", headers=bearer(token)).get_json()["items"]}
    assert items[decided.application_id]["decision"] is None
    assert items[released.application_id]["decision"]["outcome"] == "award"
    assert items[released.application_id]["decision"]["amount"] == {"amount": "12345.00", "currency": "USD"}


def test_filters_and_pagination_with_constant_queries(client, db, make_token, conforms):
    user, organisation = _member()
    wanted = [ApplicationFactory(organisation=organisation, submitted=True).id for _ in range(5)]
    draft = ApplicationFactory(organisation=organisation)
    token = make_token(user)
    client.get("/api/v1/applications", headers=bearer(token))  # the first use is noted on the token (once a minute)
    seen, counts, cursor = [], [], ""
    while cursor is not None:
        path = "/api/v1/applications?status=submitted&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response, count = count_statements(lambda: client.get(path, headers=bearer(token)))  # noqa: B023
        body = conforms(response, path="/api/v1/applications").get_json()
        seen += [item["id"] for item in body["items"]]
        counts.append(count)
        cursor = body["next_cursor"]
    assert seen == wanted
    assert len(set(counts)) == 1, counts
    by_call = client.get(f"/api/v1/applications?call={draft.call_id}", headers=bearer(token)).get_json()["items"]
    assert [item["id"] for item in by_call] == [draft.id]
    response = client.get("/api/v1/applications?status=approved&call=x", headers=bearer(token))
    assert set(problem(conforms(response, path="/api/v1/applications"), 400)["errors"]) == {"status", "call"}


def test_a_cursor_of_another_list_is_refused(client, db, make_token):
    user, organisation = _member()
    CallFactory.create_batch(2)
    cursor = client.get("/api/v1/calls?limit=1").get_json()["next_cursor"]
    response = client.get(f"/api/v1/applications?cursor={cursor}", headers=bearer(make_token(user)))
    assert "cursor" in problem(response, 400)["errors"]


def test_missing_malformed_unknown_expired_and_revoked_tokens_are_401(client, db, make_token, conforms):
    user, organisation = _member()
    token = make_token(user)
    expired = make_token(user, scopes=("read", ))
    revoked = make_token(user, scopes=["read"])
    _db.session.execute(update(ApiToken).where(ApiToken.prefix == expired[:12])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    _db.session.execute(update(ApiToken).where(ApiToken.prefix == revoked[:12]).values(revoked_at=utcnow()))
    _db.session.commit()
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}, bearer("cade_" + "x" * 43),
                    bearer(token + "x"), bearer(expired), bearer(revoked)):
        response = client.get("/api/v1/applications", headers=headers)
        conforms(response, path="/api/v1/applications")
        problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/applications", headers=bearer(token)).status_code == 200


def test_a_signed_in_session_does_not_authenticate_the_api(client, db, login):
    user, organisation = _member()
    ApplicationFactory(organisation=organisation)
    login(user)
    problem(client.get("/api/v1/applications"), 401)
    assert client.get("/api/v1/calls").status_code == 200


def test_using_a_token_notes_its_last_use(client, db, make_token):
    user, _organisation = _member()
    token = make_token(user)
    client.get("/api/v1/applications", headers=bearer(token))
    row = _db.session.scalar(_db.select(ApiToken).where(ApiToken.prefix == token[:12]))
    assert row.last_used_at is not None


def test_an_admin_read_only_token_cannot_read_applications(client, db, make_token, conforms):
    admin = UserFactory(roles=["admin"])
    response = client.get("/api/v1/applications", headers=bearer(make_token(admin, scopes=("admin-read",))))
    conforms(response, path="/api/v1/applications")
    assert problem(response, 403)["type"] == "/problems/insufficient-scope"


def test_another_organisation_id_is_unused_by_status_filter(client, db, make_token):
    user, organisation = _member()
    stranger = OrganisationFactory()
    ApplicationFactory(organisation=stranger, submitted=True)
    items = client.get("/api/v1/applications?status=submitted", headers=bearer(make_token(user))).get_json()["items"]
    assert items == []
