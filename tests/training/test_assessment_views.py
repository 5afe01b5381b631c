"""The capacity assessment pages: a member fills the baseline and follow-ups, sees the gain; an admin sees all."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.core.db import utcnow
from cade.training.assessments.models import CapacityAssessment
from cade.training.constants import CapacityDimension
from tests.factories import (
    CapacityAssessmentFactory,
    CertificateFactory,
    CourseFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.quality.conftest import assert_pages_are_light
from tests.querycount import count_statements

DIMENSIONS = list(CapacityDimension)


def full(score=3, why="We have a written policy."):
    data = {"action": "submit"}
    for dimension in DIMENSIONS:
        data[f"score_{dimension}"] = str(score)
        data[f"justification_{dimension}"] = why
    return data


@pytest.fixture()
def membership(db):
    return MembershipFactory(organisation=OrganisationFactory(name="Kijiji Net"))


@pytest.fixture()
def person(membership, login):
    return login(membership.user)


@pytest.fixture()
def org(membership):
    return membership.organisation


def only(db, **criteria) -> CapacityAssessment:
    return db.session.scalars(select(CapacityAssessment).filter_by(**criteria)).one()


def test_a_member_starts_the_baseline_and_sees_the_scale(client, db, person, org):
    page = client.get("/training/assessments").get_data(as_text=True)
    assert "Start the baseline" in page and "Start a follow-up" not in page
    response = client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "baseline"})
    baseline = only(db, organisation_id=org.id)
    assert response.headers["Location"].endswith(f"/training/assessments/{baseline.id}")
    form = client.get(f"/training/assessments/{baseline.id}").get_data(as_text=True)
    assert form.count("<legend>Score</legend>") == 7 and "<legend>Governance</legend>" in form
    assert "1 — not in place" in form and "5 — strong and sustained" in form
    assert 'name="justification_monitoring_evaluation"' in form


def test_a_person_without_an_organisation_is_shown_the_way_to_register_one(client, db, login):
    login(UserFactory())
    page = client.get("/training/assessments").get_data(as_text=True)
    assert "/organisations/new" in page


def test_a_bad_score_is_refused_beside_its_field_and_nothing_typed_is_lost(client, db, person, org):
    client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "baseline"})
    baseline = only(db, organisation_id=org.id)
    data = full()
    data["score_fundraising"] = "6"
    data["justification_governance"] = "Our board meets monthly & keeps minutes."
    response = client.post(f"/training/assessments/{baseline.id}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="score_fundraising-error"' in page and "Fundraising: choose a score from 1 to 5." in page
    assert "Our board meets monthly &amp; keeps minutes." in page
    assert 'id="score_governance-3" name="score_governance" value="3" checked' in page
    db.session.expire_all()
    assert only(db, organisation_id=org.id).status == "draft"


def test_a_submit_missing_justifications_keeps_the_draft_and_names_each_field(client, db, person, org):
    client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "baseline"})
    baseline = only(db, organisation_id=org.id)
    data = full(4)
    data["justification_governance"] = ""
    data["score_policy_engagement"] = ""
    response = client.post(f"/training/assessments/{baseline.id}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="justification_governance-error"' in page and 'id="score_policy_engagement-error"' in page
    assert "saved as a draft" in page
    db.session.expire_all()
    saved = only(db, organisation_id=org.id)
    assert saved.status == "draft" and saved.score_for("fundraising").score == 4


def test_save_draft_then_submit_then_start_a_follow_up(client, db, person, org):
    client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "baseline"})
    baseline = only(db, organisation_id=org.id)
    draft = {**full(2), "action": "save", "score_governance": ""}
    assert client.post(f"/training/assessments/{baseline.id}", data=draft).status_code == 302
    assert client.post(f"/training/assessments/{baseline.id}", data=full(2)).status_code == 302
    page = client.get("/training/assessments").get_data(as_text=True)
    assert "Start a follow-up" in page and "Start the baseline" not in page
    again = client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "baseline"},
                        follow_redirects=True)
    assert "already submitted its baseline" in again.get_data(as_text=True)
    client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "follow_up"})
    assert only(db, organisation_id=org.id, kind="follow_up").status == "draft"


def test_a_follow_up_before_the_baseline_is_refused_with_the_reason(client, db, person, org):
    response = client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "follow_up"},
                           follow_redirects=True)
    assert "Submit the baseline first" in response.get_data(as_text=True)
    assert db.session.scalars(select(CapacityAssessment)).all() == []


def test_a_stranger_gets_404_everywhere(client, db, org, login):
    baseline = CapacityAssessmentFactory(organisation=org, draft=True)
    login(UserFactory())
    assert client.get(f"/training/assessments/{baseline.id}").status_code == 404
    assert client.post(f"/training/assessments/{baseline.id}", data=full()).status_code == 404
    assert client.post("/training/assessments/start",
                       data={"organisation_id": org.id, "kind": "baseline"}).status_code == 404
    assert client.get(f"/training/assessments?organisation={org.id}").status_code == 404


def test_the_organisation_sees_its_gain_as_a_chart_and_a_table(client, db, person, org):
    CapacityAssessmentFactory(organisation=org, scores=2, submitted_at=utcnow() - timedelta(days=200))
    CapacityAssessmentFactory(organisation=org, follow_up=True, scores={**dict.fromkeys(DIMENSIONS, 4),
                                                                        "governance": 1})
    page = client.get("/training/assessments").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page
    assert page.index("<svg") < page.index("<table")
    assert "<td>+2</td>" in page and "<td>-1</td>" in page


def test_the_admin_sees_gains_by_region_and_by_course(client, db, admin, login):
    kenya, brazil = OrganisationFactory(country="KE"), OrganisationFactory(country="BR")
    for organisation, before, after in ((kenya, 2, 4), (brazil, 1, 4)):
        CapacityAssessmentFactory(organisation=organisation, scores=before)
        CapacityAssessmentFactory(organisation=organisation, follow_up=True, scores=after)
    course = CourseFactory(title="Community networks 101")
    CertificateFactory(course=course, user=MembershipFactory(organisation=kenya).user)
    login(admin)
    page = client.get("/admin/training/assessments").get_data(as_text=True)
    assert "<svg" in page
    assert "+2.5" in page  # the mean gain over both organisations
    assert "Africa" in page and "Americas" in page
    assert "Community networks 101" in page
    login(UserFactory())
    assert client.get("/admin/training/assessments").status_code in (403, 404)


def _org_with_gain():
    organisation = OrganisationFactory()
    CapacityAssessmentFactory(organisation=organisation, scores=2)
    CapacityAssessmentFactory(organisation=organisation, follow_up=True, scores=3)
    CertificateFactory(user=MembershipFactory(organisation=organisation).user)
    return organisation


def test_the_pages_run_a_constant_number_of_statements(client, db, admin, login, person, org):
    CapacityAssessmentFactory(organisation=org, scores=2)
    CapacityAssessmentFactory(organisation=org, follow_up=True, scores=3)
    _org_with_gain()
    login(admin)
    _, few_admin = count_statements(lambda: client.get("/admin/training/assessments"))
    login(person)
    _, few_member = count_statements(lambda: client.get("/training/assessments"))
    for _ in range(6):
        _org_with_gain()
        CapacityAssessmentFactory(organisation=org, follow_up=True, scores=4)
    login(admin)
    _, many_admin = count_statements(lambda: client.get("/admin/training/assessments"))
    login(person)
    _, many_member = count_statements(lambda: client.get("/training/assessments"))
    assert (few_admin, few_member) == (many_admin, many_member)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_pages_are_light(client, db, admin, login, membership, language):
    org, person = membership.organisation, membership.user
    CapacityAssessmentFactory(organisation=org, scores=2)
    CapacityAssessmentFactory(organisation=org, follow_up=True, scores=4)
    draft = CapacityAssessmentFactory(organisation=org, follow_up=True, draft=True, scores=3)
    _org_with_gain()
    assert_pages_are_light(client, login, [
        (person, ["/training/assessments", f"/training/assessments/{draft.id}"]),
        (admin, ["/admin/training/assessments"]),
    ], language)


def test_a_refused_submit_names_a_bad_score_and_a_missing_justification_together(client, db, person, org):
    client.post("/training/assessments/start", data={"organisation_id": org.id, "kind": "baseline"})
    baseline = only(db, organisation_id=org.id)
    data = full()
    data["score_fundraising"] = "9"
    data["justification_governance"] = ""
    page = client.post(f"/training/assessments/{baseline.id}", data=data).get_data(as_text=True)
    assert 'id="score_fundraising-error"' in page and 'id="justification_governance-error"' in page
