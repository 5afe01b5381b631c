"""Capacity assessments: the rules of filling them in, the follow-up a course makes due, and the gains in SQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.notifications.rendering import render_notification
from cade.core.errors import AlreadyExists, InvalidTransition, NotFound, ValidationFailed
from cade.training.assessments import gains
from cade.training.assessments.models import CapacityAssessment
from cade.training.assessments.reminders import remind_due_follow_ups
from cade.training.assessments.services import (
    AssessmentInput,
    save_assessment,
    schedule_follow_up,
    start_assessment,
    submit_assessment,
)
from cade.training.constants import CapacityDimension
from tests.factories import (
    CapacityAssessmentFactory,
    CertificateFactory,
    CourseFactory,
    MembershipFactory,
    OrganisationFactory,
    SessionFactory,
    UserFactory,
)
from tests.querycount import count_statements

DIMENSIONS = list(CapacityDimension)


def full(score=3, why="We have a written policy."):
    data = {}
    for dimension in DIMENSIONS:
        data[f"score_{dimension}"] = str(score)
        data[f"justification_{dimension}"] = why
    return data


@pytest.fixture()
def membership(db):
    return MembershipFactory(organisation=OrganisationFactory(name="Kijiji Net"))


@pytest.fixture()
def person(membership):
    return membership.user


@pytest.fixture()
def org(membership):
    return membership.organisation


def submitted_baseline(person, org, score=2):
    baseline = start_assessment(person, org.id, "baseline")
    return submit_assessment(person, baseline.id, AssessmentInput.from_input(full(score)))


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("bad", ["0", "6", "x", "2.5", "-1"])
def test_a_score_outside_one_to_five_is_refused_naming_the_dimension(db, person, org, bad):
    data = full()
    data["score_fundraising"] = bad
    with pytest.raises(ValidationFailed) as refused:
        AssessmentInput.from_input(data)
    assert list(refused.value.errors) == ["score_fundraising"]
    assert "Fundraising" in str(refused.value.errors["score_fundraising"][0])


def test_a_justification_over_500_characters_is_refused_naming_the_dimension(db):
    data = full()
    data["justification_governance"] = "x" * 501
    with pytest.raises(ValidationFailed) as refused:
        AssessmentInput.from_input(data)
    assert "Governance" in str(refused.value.errors["justification_governance"][0])


def test_a_draft_may_be_incomplete_and_keeps_what_was_typed(db, person, org):
    draft = start_assessment(person, org.id, "baseline")
    save_assessment(person, draft.id, AssessmentInput.from_input({"score_governance": "4",
                                                                  "justification_governance": "A board."}))
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(CapacityAssessment, draft.id).score_for("governance")
    assert (row.score, row.justification) == (4, "A board.")
    assert db.session.get(CapacityAssessment, draft.id).status == "draft"


def test_submit_names_every_missing_score_and_justification(db, person, org):
    draft = start_assessment(person, org.id, "baseline")
    data = full()
    data["score_governance"] = ""
    data["justification_digital_security"] = "   "
    with pytest.raises(ValidationFailed) as refused:
        submit_assessment(person, draft.id, AssessmentInput.from_input(data))
    assert set(refused.value.errors) == {"score_governance", "justification_digital_security"}
    assert "Governance" in str(refused.value.errors["score_governance"][0])
    assert "Digital security" in str(refused.value.errors["justification_digital_security"][0])


def test_a_follow_up_before_any_submitted_baseline_is_refused(db, person, org):
    with pytest.raises(InvalidTransition):
        start_assessment(person, org.id, "follow_up")
    start_assessment(person, org.id, "baseline")  # a draft baseline is not enough
    with pytest.raises(InvalidTransition):
        start_assessment(person, org.id, "follow_up")


def test_a_scheduled_follow_up_cannot_be_submitted_before_the_baseline(db, person, org):
    follow_up = schedule_follow_up(org.id, CourseFactory().id, utcnow())
    with pytest.raises(InvalidTransition):
        submit_assessment(person, follow_up.id, AssessmentInput.from_input(full()))


def test_a_second_baseline_is_refused_once_submitted_and_a_draft_is_reopened(db, person, org):
    first = start_assessment(person, org.id, "baseline")
    assert start_assessment(person, org.id, "baseline").id == first.id  # double click: one draft
    submit_assessment(person, first.id, AssessmentInput.from_input(full()))
    with pytest.raises(AlreadyExists):
        start_assessment(person, org.id, "baseline")
    assert db.session.scalar(select(func.count(CapacityAssessment.id))) == 1


def test_a_submitted_assessment_is_final_and_a_second_submit_is_refused(db, person, org):
    baseline = submitted_baseline(person, org)
    with pytest.raises(InvalidTransition):
        submit_assessment(person, baseline.id, AssessmentInput.from_input(full(5)))
    with pytest.raises(InvalidTransition):
        save_assessment(person, baseline.id, AssessmentInput.from_input(full(5)))
    assert baseline.score_for("governance").score == 2


def test_a_stranger_is_told_nothing_exists(db, person, org):
    stranger = UserFactory()
    draft = start_assessment(person, org.id, "baseline")
    with pytest.raises(NotFound):
        start_assessment(stranger, org.id, "baseline")
    with pytest.raises(NotFound):
        save_assessment(stranger, draft.id, AssessmentInput.from_input(full()))
    with pytest.raises(NotFound):
        submit_assessment(stranger, draft.id, AssessmentInput.from_input(full()))


def test_any_member_may_fill_and_submit_and_it_is_audited(db, person, org):
    colleague = MembershipFactory(organisation=org, role="member").user
    draft = start_assessment(person, org.id, "baseline")
    save_assessment(colleague, draft.id, AssessmentInput.from_input(full(3)))
    submit_assessment(colleague, draft.id, AssessmentInput.from_input(full(3)))
    assert draft.submitted_by_id == colleague.id and draft.submitted_at is not None
    verbs = list(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "CapacityAssessment")
                                    .order_by(AuditEvent.id)))
    assert verbs == ["capacity_assessment.started", "capacity_assessment.saved", "capacity_assessment.submitted"]


def test_follow_ups_any_number_after_the_baseline_reusing_an_open_draft(db, person, org):
    submitted_baseline(person, org)
    first = start_assessment(person, org.id, "follow_up")
    assert start_assessment(person, org.id, "follow_up").id == first.id
    submit_assessment(person, first.id, AssessmentInput.from_input(full(3)))
    second = start_assessment(person, org.id, "follow_up")
    assert second.id != first.id


# ---------------------------------------------------------------- follow-up due


def test_completing_a_course_schedules_one_follow_up_due_after_its_last_session(app, db, person, org):
    course = CourseFactory()
    last = SessionFactory(course=course, starts_at=utcnow() + timedelta(days=20))
    SessionFactory(course=course, starts_at=utcnow() + timedelta(days=40), status="cancelled")
    SessionFactory(course=course, starts_at=utcnow() + timedelta(days=5))
    follow_up = schedule_follow_up(org.id, course.id)
    assert follow_up.due_at == last.ends_at + timedelta(days=app.config["ASSESSMENT_FOLLOW_UP_DAYS"])
    assert app.config["ASSESSMENT_FOLLOW_UP_DAYS"] == 90
    assert schedule_follow_up(org.id, course.id).id == follow_up.id  # a second member completing it
    assert follow_up.kind == "follow_up" and follow_up.status == "draft" and follow_up.course_id == course.id


def test_the_due_reminder_is_queued_once_per_member(db, person, org, outbox):
    colleague = MembershipFactory(organisation=org, role="member").user
    course = CourseFactory(title="Community networks 101")
    due = schedule_follow_up(org.id, course.id, utcnow() - timedelta(hours=1))
    schedule_follow_up(OrganisationFactory().id, CourseFactory().id, utcnow() + timedelta(days=3))  # not yet
    assert remind_due_follow_ups() == 2
    db.session.commit()
    assert remind_due_follow_ups() == 0
    notices = outbox("training.assessment_due")
    assert sorted(n.recipient_id for n in notices) == sorted([person.id, colleague.id])
    assert notices[0].context["course_title"] == "Community networks 101"
    assert notices[0].context["assessment_id"] == due.id
    subject, text, html = render_notification(notices[0])
    assert "Kijiji Net" in subject and "Community networks 101" in text
    assert f"/training/assessments/{due.id}" in text and f"/training/assessments/{due.id}" in html


def test_a_submitted_follow_up_is_no_longer_reminded(db, person, org, outbox):
    submitted_baseline(person, org)
    due = schedule_follow_up(org.id, CourseFactory().id, utcnow() - timedelta(hours=1))
    submit_assessment(person, due.id, AssessmentInput.from_input(full(4)))
    assert remind_due_follow_ups() == 0
    assert outbox("training.assessment_due") == []


# ---------------------------------------------------------------- gains


def _world():
    """Two organisations in two regions, computed by hand:

    Kenya (Africa, 002): baseline 2 everywhere; follow-ups 3 (older) then 4 (latest) → gain +2.
    Brazil (Americas, 019): baseline 1, governance 5; latest follow-up 4, governance 3 → +3, governance −2.
    A third organisation with a baseline only is left out; so is a draft follow-up.
    """
    now = utcnow()
    kenya = OrganisationFactory(country="KE")
    brazil = OrganisationFactory(country="BR")
    CapacityAssessmentFactory(organisation=kenya, scores=2, submitted_at=now - timedelta(days=300))
    CapacityAssessmentFactory(organisation=kenya, follow_up=True, scores=3, submitted_at=now - timedelta(days=100))
    CapacityAssessmentFactory(organisation=kenya, follow_up=True, scores=4, submitted_at=now - timedelta(days=10))
    CapacityAssessmentFactory(organisation=kenya, follow_up=True, draft=True, scores=1)
    CapacityAssessmentFactory(organisation=brazil, scores={**dict.fromkeys(DIMENSIONS, 1), "governance": 5})
    CapacityAssessmentFactory(organisation=brazil, follow_up=True,
                              scores={**dict.fromkeys(DIMENSIONS, 4), "governance": 3})
    CapacityAssessmentFactory(organisation=OrganisationFactory(country="KE"), scores=5)
    return kenya, brazil


def test_one_organisation_sees_baseline_against_its_latest_follow_up(db):
    kenya, brazil = _world()
    comparison = gains.compare(gains.organisation_assessments(brazil.id))
    by_dimension = {row.dimension: row for row in comparison.rows}
    assert (by_dimension["governance"].before, by_dimension["governance"].after, by_dimension["governance"].gain) \
        == (5, 3, -2)
    assert by_dimension["fundraising"].gain == 3
    assert {row.gain for row in gains.compare(gains.organisation_assessments(kenya.id)).rows} == {2}


def test_mean_gain_per_dimension_across_organisations(db):
    _world()
    found = {row.dimension: row for row in gains.gains_by_dimension()}
    assert (found["governance"].before, found["governance"].after, found["governance"].gain) == (3.5, 3.5, 0.0)
    assert (found["fundraising"].before, found["fundraising"].after, found["fundraising"].gain) == (1.5, 4.0, 2.5)
    assert found["fundraising"].organisations == 2


def test_mean_gain_by_region(db):
    _world()
    regions = {group.key: group for group in gains.gains_by_region()}
    assert set(regions) == {"002", "019"}
    assert regions["002"].gains["governance"] == 2 and regions["002"].organisations == 1
    assert regions["019"].gains["governance"] == -2 and regions["019"].gains["fundraising"] == 3


def test_mean_gain_by_course_counts_an_organisation_once_and_ignores_revoked_certificates(db):
    kenya, brazil = _world()
    course = CourseFactory(title="Digital security basics")
    other = CourseFactory(title="Revoked only")
    for _ in range(2):  # two members of Kenya hold it: Kenya counts once
        CertificateFactory(course=course, user=MembershipFactory(organisation=kenya).user)
    CertificateFactory(course=course, user=MembershipFactory(organisation=brazil).user)
    CertificateFactory(course=other, user=MembershipFactory(organisation=brazil).user, revoked_at=utcnow())
    [group] = gains.gains_by_course()
    assert (group.key, group.label, group.organisations) == (course.id, "Digital security basics", 2)
    assert group.gains["governance"] == 0.0  # (+2 + −2) / 2
    assert group.gains["fundraising"] == 2.5  # (+2 + +3) / 2


def test_the_aggregation_runs_a_constant_number_of_statements(db):
    def run():
        gains.gains_by_dimension()
        gains.gains_by_region()
        gains.gains_by_course()

    _world()
    _, few = count_statements(run)
    for _ in range(5):
        _world()
    _, many = count_statements(run)
    assert few == many == 3


def test_a_complete_command_names_missing_and_refused_fields_at_once(db):
    data = full()
    data["score_fundraising"] = "0"
    data["justification_governance"] = ""
    with pytest.raises(ValidationFailed) as refused:
        AssessmentInput.from_input(data, complete=True)
    assert set(refused.value.errors) == {"score_fundraising", "justification_governance"}
    AssessmentInput.from_input({**data, "score_fundraising": "1"})  # a draft may leave it empty
