"""The personal-data export: every section, no secret, nobody else's data, a fixed number of queries."""

import json

from sqlalchemy import select

from cade.applications.models import Answer
from cade.core.audit import AuditEvent
from cade.extensions import db
from cade.notifications.services import notify
from cade.privacy.export import export_personal_data
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CertificateFactory,
    EnrolmentFactory,
    QuestionFactory,
    ReviewFactory,
    RubricCriterionFactory,
    UserFactory,
)
from tests.privacy.helpers import person_with_everything
from tests.querycount import count_statements

SECTIONS = ["profile", "memberships", "applications", "reviews", "conflict_declarations", "notifications",
            "api_tokens", "messages", "call_questions", "trips", "travel_claims", "training_enrolments",
            "certificates"]


def test_the_export_holds_every_section_of_the_person(db):
    amina = person_with_everything()
    data = export_personal_data(amina.user)

    assert data["version"] == 1 and data["generated_at"]
    assert all(data[section] for section in SECTIONS), [s for s in SECTIONS if not data[s]]
    profile = data["profile"]
    assert (profile["name"], profile["email"], profile["roles"]) == ("Amina Diallo", "amina@example.org",
                                                                     ["reviewer"])
    assert profile["two_factor_enabled"] is True and profile["last_sign_in_at"] and profile["verified_at"]
    assert data["memberships"] == [{"organisation_id": amina.organisation.id, "organisation": amina.organisation.name,
                                    "role": "owner", "since": data["memberships"][0]["since"]}]
    application = data["applications"][0]
    assert application["title"] == "Mesh for the valley"
    assert application["answers"][0]["question"] == "What will you build?"
    assert application["answers"][0]["text"] == "Twelve nodes"
    assert application["budget_lines"][0]["description"] == "Routers"
    review = data["reviews"][0]
    assert review["scores"] == [{"criterion": "Relevance", "score": 4}]
    assert (review["comment_to_applicant"], review["confidential_comment"]) == ("Good plan", "Solid team")
    assert data["conflict_declarations"][0]["reason"] == "None known"
    assert [n["kind"] for n in data["notifications"]["in_app"]] == ["accounts.role_granted"]
    assert [n["kind"] for n in data["notifications"]["emails"]] == ["accounts.role_granted",
                                                                    "accounts.reset_password"]
    assert data["api_tokens"][0]["prefix"] == "cade_ab12" and data["api_tokens"][0]["scopes"] == ["read"]
    assert data["messages"][0]["body"] == "Hello team"
    assert data["call_questions"][0]["question"] == "May we apply twice?"
    assert data["trips"][0]["passport_country"] == "SN"
    assert data["travel_claims"][0]["lines"][0]["description"] == "Bus fare"
    assert data["training_enrolments"][0]["status"] == "confirmed"
    assert data["certificates"][0]["organisation"] == amina.organisation.name
    json.dumps(data)  # serialisable as it is


def test_the_export_holds_no_secret_and_nothing_of_anyone_else(db):
    amina = person_with_everything()
    other = person_with_everything(name="Bruno Keller", email="bruno@example.org", tag=" [bruno]")
    data = export_personal_data(amina.user)
    text = json.dumps(data)

    for secret in amina.secrets:
        assert secret not in text
    keys = _keys(data)
    assert not [key for key in keys if "hash" in key or "secret" in key or "password" in key]
    assert "token" not in keys and "context" not in keys
    assert "[bruno]" not in text and "Bruno Keller" not in text and "bruno@example.org" not in text
    # And the other way round.
    other_text = json.dumps(export_personal_data(other.user))
    assert "Amina" not in other_text and "amina@example.org" not in other_text


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(item) for item in value))
    return set()


def test_exporting_is_audited(db):
    user = UserFactory()
    export_personal_data(user)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "user.data_exported"))
    assert (event.actor_id, event.object_id) == (user.id, user.id)


def _more_of_everything(person):
    """A second application, review, enrolment, certificate and notification for the same person."""
    user = person.user
    call = CallFactory()
    question = QuestionFactory(call=call)
    application = ApplicationFactory(call=call, organisation=person.organisation, created_by=user)
    db.session.add(Answer(application_id=application.id, question_id=question.id, text="More"))
    criterion = RubricCriterionFactory(call=call)
    assignment = AssignmentFactory(reviewer=user, application=ApplicationFactory(call=call, under_review=True))
    ReviewFactory(assignment=assignment, scores={criterion: 2})
    EnrolmentFactory(user=user, organisation=person.organisation)
    CertificateFactory(user=user)
    notify("accounts.role_granted", recipient=user, context={"role": "trainer", "by": "Ada"}, key=f"more:{user.id}")
    db.session.commit()


def test_the_statement_count_does_not_grow_with_the_data(db):
    one = person_with_everything()
    many = person_with_everything(name="Chen Wei", email="chen@example.org")
    _more_of_everything(many)
    _more_of_everything(many)

    db.session.expire_all()
    small, small_count = count_statements(lambda: export_personal_data(one.user))
    db.session.expire_all()
    large, large_count = count_statements(lambda: export_personal_data(many.user))

    assert len(large["applications"]) == 3 and len(large["reviews"]) == 3 and len(small["applications"]) == 1
    assert large_count == small_count
