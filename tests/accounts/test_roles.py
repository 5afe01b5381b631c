"""The roles page and the one role policy: giving and taking staff roles, never the last administrator."""

import re

import pytest
from sqlalchemy import select

from cade.accounts.models import User
from cade.accounts.services import grant_role, revoke_role
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.notifications.rendering import render_in_app, render_notification
from tests.concurrency import run_side_by_side
from tests.factories import MembershipFactory, ReviewerProfileFactory, UserFactory
from tests.quality.conftest import assert_pages_are_light
from tests.querycount import count_statements


def _events(user) -> list[tuple[str, dict, dict]]:
    return [(e.verb, e.before, e.after) for e in _db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "User", AuditEvent.object_id == user.id,
                                 AuditEvent.verb.like("user.role_%")).order_by(AuditEvent.id))]


def _roles(user_id: int) -> list[str]:
    _db.session.expire_all()
    return _db.session.get(User, user_id).role_names


# Services


def test_granting_a_role_audits_it_and_tells_the_person_in_their_language(db, admin, outbox):
    person = UserFactory(locale="fr", name="Fatou Diallo")
    assert grant_role(admin, person.id, "reviewer") is True
    db.session.commit()

    assert _roles(person.id) == ["reviewer"]
    assert _events(person) == [("user.role_granted", {"roles": []}, {"roles": ["reviewer"]})]
    [notice] = outbox("accounts.role_granted")
    assert (notice.recipient_id, notice.locale, notice.in_app) == (person.id, "fr", True)
    subject, text, html = render_notification(notice, locale="en")
    assert "Reviewer" in subject and "Ada Admin gave you the role Reviewer" in text and "Hello Fatou Diallo" in html
    assert "Ada Admin" in render_in_app(notice, locale="en")[1]


def test_granting_a_role_held_changes_nothing(db, admin, outbox):
    person = UserFactory(roles=["trainer"])
    assert grant_role(admin, person.id, "trainer") is False
    assert _roles(person.id) == ["trainer"]
    assert _events(person) == [] and outbox() == []


def test_revoking_a_role_audits_it_and_tells_the_person(db, admin, outbox):
    person = UserFactory(roles=["reviewer", "trainer"])
    assert revoke_role(admin, person.id, "reviewer") is True
    assert revoke_role(admin, person.id, "admin") is False  # not held: nothing to do
    db.session.commit()

    assert _roles(person.id) == ["trainer"]
    assert _events(person) == [("user.role_revoked", {"roles": ["reviewer", "trainer"]}, {"roles": ["trainer"]})]
    [notice] = outbox("accounts.role_revoked")
    assert "removed your role Reviewer" in render_notification(notice, locale="en")[1]


def test_granting_taking_and_granting_again_tells_the_person_each_time(db, admin, outbox):
    person = UserFactory()
    grant_role(admin, person.id, "reviewer")
    revoke_role(admin, person.id, "reviewer")
    grant_role(admin, person.id, "reviewer")
    assert [n.kind for n in outbox(email=person.email)] == [
        "accounts.role_granted", "accounts.role_revoked", "accounts.role_granted"]


@pytest.mark.parametrize("roles", [[], ["reviewer"], ["trainer"]])
def test_only_administrators_change_roles(db, roles):
    actor, person = UserFactory(roles=roles), UserFactory()
    for change in (grant_role, revoke_role):
        with pytest.raises(PermissionDenied):
            change(actor, person.id, "admin")
    assert _roles(person.id) == []


def test_unknown_roles_people_and_disabled_accounts_are_refused(db, admin):
    person = UserFactory()
    with pytest.raises(ValidationFailed) as refused:
        grant_role(admin, person.id, "superuser")
    assert "role" in refused.value.errors
    with pytest.raises(NotFound):
        grant_role(admin, 999_999, "reviewer")
    person.active = False
    db.session.commit()
    with pytest.raises(InvalidTransition, match="disabled"):
        grant_role(admin, person.id, "reviewer")


def test_the_last_administrator_cannot_step_down(db, admin):
    with pytest.raises(InvalidTransition, match="last administrator"):
        revoke_role(admin, admin.id, "admin")
    assert _roles(admin.id) == ["admin"]


def test_a_disabled_administrator_does_not_count(db, admin):
    disabled = UserFactory(roles=["admin"])
    disabled.active = False
    db.session.commit()
    with pytest.raises(InvalidTransition, match="last administrator"):
        revoke_role(admin, admin.id, "admin")
    assert revoke_role(admin, disabled.id, "admin") is True


def test_an_administrator_steps_down_while_another_remains(db, admin):
    other = UserFactory(roles=["admin"])
    assert revoke_role(admin, admin.id, "admin") is True
    db.session.commit()
    assert _roles(admin.id) == [] and _roles(other.id) == ["admin"]
    # Now no longer an administrator: the next change is refused.
    with pytest.raises(PermissionDenied):
        grant_role(_db.session.get(User, admin.id), admin.id, "admin")


# Two administrators at the same moment, on separate connections


def _outcomes(outcomes) -> list[str]:
    return sorted("done" if outcome == "done" else type(outcome).__name__ for outcome in outcomes)


def _revoking(actor_id: int, user_id: int):
    def action():
        revoke_role(_db.session.get(User, actor_id), user_id, "admin")
    return action


def test_two_administrators_removing_each_other_at_once_leave_one(app, db, admin):
    other = UserFactory(roles=["admin"])
    a, b = admin.id, other.id
    outcomes = run_side_by_side(app, [_revoking(a, b), _revoking(b, a)], pause_after="from user_roles")
    assert _outcomes(outcomes) == ["PermissionDenied", "done"]
    assert sorted([_roles(a), _roles(b)]) == [[], ["admin"]]


def test_two_administrators_stepping_down_at_once_leave_one(app, db, admin):
    other = UserFactory(roles=["admin"])
    a, b = admin.id, other.id
    outcomes = run_side_by_side(app, [_revoking(a, a), _revoking(b, b)], pause_after="from user_roles")
    assert _outcomes(outcomes) == ["InvalidTransition", "done"]
    assert sorted([_roles(a), _roles(b)]) == [[], ["admin"]]


def test_a_double_click_grants_once_and_tells_once(app, db, admin, outbox):
    person = UserFactory()
    admin_id, person_id = admin.id, person.id

    def granting():
        grant_role(_db.session.get(User, admin_id), person_id, "reviewer")

    assert run_side_by_side(app, [granting, granting], pause_after="from users") == ["done", "done"]
    assert _roles(person_id) == ["reviewer"]
    assert len(outbox("accounts.role_granted")) == 1


# The page


def _post(client, person, role, change, **extra):
    return client.post(f"/auth/admin/roles/{person.id}", data={"role": role, "change": change, **extra})


def test_the_page_lists_staff_and_finds_anyone_by_email_or_name(db, client, login, admin):
    UserFactory(roles=["reviewer"], name="Rui Reviewer")
    UserFactory(name="Plain Person", email="plain.person@example.org")
    login(admin)
    page = client.get("/auth/admin/roles").get_data(as_text=True)
    assert "Rui Reviewer" in page and "Ada Admin" in page and "Plain Person" not in page
    for query in ("PLAIN.PERSON@", "plain pers"):
        found = client.get("/auth/admin/roles", query_string={"q": query}).get_data(as_text=True)
        assert "Plain Person" in found and "Rui Reviewer" not in found
    assert "Nobody" in client.get("/auth/admin/roles", query_string={"q": "100%_nobody"}).get_data(as_text=True)


def test_the_page_runs_the_same_queries_however_many_people_it_shows(db, client, login, admin):
    login(admin)
    UserFactory(roles=["reviewer"])
    _, small = count_statements(lambda: client.get("/auth/admin/roles"))
    for _ in range(30):
        UserFactory(roles=["trainer", "reviewer"])
    response, large = count_statements(lambda: client.get("/auth/admin/roles"))
    assert large == small
    second = client.get("/auth/admin/roles", query_string={"page": 2}).get_data(as_text=True)
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_is_light(db, client, login, language):
    admin = UserFactory(roles=["admin"], locale=language)
    for _ in range(30):
        UserFactory(roles=["reviewer"])
    assert_pages_are_light(client, login, [(admin, ["/auth/admin/roles", "/auth/admin/roles?q=example"])],
                           language)


def test_giving_and_removing_a_role_from_the_page(db, client, login, admin, outbox):
    person = UserFactory(name="Tomás Trainer")
    login(admin)
    response = _post(client, person, "trainer", "grant", q="tomas", page="1")
    assert response.status_code == 303 and "q=tomas" in response.headers["Location"]
    assert _roles(person.id) == ["trainer"]
    assert "Tomás Trainer now has the role Trainer" in client.get("/auth/admin/roles").get_data(as_text=True)
    _post(client, person, "trainer", "grant")
    assert "already has the role" in client.get("/auth/admin/roles").get_data(as_text=True)
    _post(client, person, "trainer", "revoke")
    assert _roles(person.id) == []
    assert [n.kind for n in outbox(email=person.email)] == ["accounts.role_granted", "accounts.role_revoked"]


def test_the_page_refuses_the_last_administrator_with_a_message(db, client, login, admin):
    login(admin)
    response = _post(client, admin, "admin", "revoke")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are the last administrator" in page
    assert _roles(admin.id) == ["admin"]


def test_the_page_refuses_an_unknown_role_or_change_and_a_stranger(db, client, login, admin):
    person = UserFactory()
    login(admin)
    for role, change in (("superuser", "grant"), ("reviewer", "promote"), ("", "")):
        assert _post(client, person, role, change).status_code == 303
    assert "Choose a role" in client.get("/auth/admin/roles").get_data(as_text=True)
    assert _roles(person.id) == []
    assert client.post("/auth/admin/roles/999999", data={"role": "reviewer", "change": "grant"}).status_code == 404


def test_an_administrator_who_steps_down_is_sent_home(db, client, login, admin):
    UserFactory(roles=["admin"])
    login(admin)
    response = _post(client, admin, "admin", "revoke")
    assert response.status_code == 303 and "/admin/roles" not in response.headers["Location"]
    assert client.get("/auth/admin/roles").status_code == 404


def test_changing_a_role_needs_the_csrf_token(csrf_app, db, client, login, admin):
    person = UserFactory()
    login(admin)
    assert _post(client, person, "reviewer", "grant").status_code == 400
    assert _roles(person.id) == []
    page = client.get("/auth/admin/roles", query_string={"q": person.email}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert _post(client, person, "reviewer", "grant", csrf_token=token).status_code == 303
    assert _roles(person.id) == ["reviewer"]


@pytest.mark.parametrize("who", ["cso", "reviewer", "trainer"])
def test_others_do_not_find_the_page(db, client, login, who):
    person = UserFactory()
    user = {"cso": lambda: MembershipFactory().user, "reviewer": lambda: ReviewerProfileFactory().user,
            "trainer": lambda: UserFactory(roles=["trainer"])}[who]()
    login(user)
    assert client.get("/auth/admin/roles").status_code == 404
    assert _post(client, person, "admin", "grant").status_code == 404
    assert _roles(person.id) == []


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    person = UserFactory()
    for response in (client.get("/auth/admin/roles"), _post(client, person, "admin", "grant")):
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
