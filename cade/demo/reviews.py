"""Seeds the demo's review work from `cade.demo.review_data`, creating only what is missing."""

from datetime import datetime, timedelta

from sqlalchemy import select

from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services.offers import offer_deadline
from cade.awards.services.release import applicant_comments
from cade.core.money import to_minor
from cade.demo import review_data as data
from cade.extensions import db
from cade.programmes.models import Call
from cade.reviews.constants import AssignmentMethod, ReviewStatus
from cade.reviews.models import (
    Assignment,
    CallReviewSettings,
    ConflictDeclaration,
    Review,
    ReviewerProfile,
    ReviewScore,
)


def seed_reviews(now: datetime, users: dict, calls: dict[str, Call], organisations: dict, report) -> None:
    """Profiles, settings, assignments, declarations, reviews and decisions; flushes, never commits."""
    admin = users["admin@cade.example"]
    _profiles(users, report)
    call_ids = {calls[key].id for key, _org in set(data.REVIEWS) | set(data.DECISIONS)}
    by_pair = {(a.call_id, a.organisation_id): a for a in db.session.scalars(
        select(Application).where(Application.call_id.in_(call_ids)))}
    applications = {(call_key, org_key): by_pair[(calls[call_key].id, organisations[org_key].id)]
                    for call_key, org_key in set(data.REVIEWS) | set(data.DECISIONS)}
    # What exists already, read once: a second run creates nothing.
    done = set(db.session.execute(select(Assignment.application_id, Assignment.reviewer_id)))
    done |= set(db.session.execute(select(ConflictDeclaration.application_id, ConflictDeclaration.reviewer_id)))
    decided = set(db.session.scalars(select(Decision.application_id)))
    _settings(now, calls, report)
    for (call_key, org_key), reviews in data.REVIEWS.items():
        application = applications[(call_key, org_key)]
        for position, spec in enumerate(reviews):
            if (application.id, users[spec[0]].id) not in done:
                _review(now, admin, application, users[spec[0]], position, spec, report)
    for (call_key, org_key), spec in data.DECISIONS.items():
        if applications[(call_key, org_key)].id not in decided:
            _decision(now, admin, applications[(call_key, org_key)], call_key, spec, report)
    db.session.flush()


def _profiles(users: dict, report) -> None:
    existing = set(db.session.scalars(select(ReviewerProfile.user_id)))
    for email, (expertise, languages, regions, max_load) in data.PROFILES.items():
        user = users[email]
        if user.id in existing:
            continue
        db.session.add(ReviewerProfile(user_id=user.id, expertise=expertise, languages=languages,
                                       regions=regions, max_load=max_load))
        report.created["reviewer_profiles"] += 1


def _settings(now: datetime, calls: dict[str, Call], report) -> None:
    existing = set(db.session.scalars(select(CallReviewSettings.call_id)))
    for call_key, days in data.REVIEW_DEADLINES.items():
        call = calls[call_key]
        if call.id in existing:
            continue
        deadline = (now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        db.session.add(CallReviewSettings(call_id=call.id, review_deadline_at=deadline,
                                          region_targets={"002": 40, "142": 20, "019": 20},
                                          stakeholder_targets={"civil_society": 70}))
        report.created["review_settings"] += 1


def _review(now, admin, application: Application, reviewer, position: int, spec: tuple, report) -> None:
    _email, state, scores, recommendation, comment = spec
    assigned_at = application.submitted_at + timedelta(days=2, hours=position)
    declared_at = assigned_at + timedelta(days=1)
    if state == "conflict":
        db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=reviewer.id,
                                           has_conflict=True, reason=comment, declared_at=declared_at))
        report.created["conflict_declarations"] += 1
        return
    assignment = Assignment(call_id=application.call_id, application_id=application.id, reviewer_id=reviewer.id,
                            assigned_by_id=admin.id, method=AssignmentMethod.MANUAL, assigned_at=assigned_at)
    db.session.add(assignment)
    report.created["assignments"] += 1
    if state == "assigned":
        return
    db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=reviewer.id,
                                       has_conflict=False, declared_at=declared_at))
    submitted = state == "submitted"
    review = Review(assignment=assignment, call_id=application.call_id, application_id=application.id,
                    reviewer_id=reviewer.id, status=ReviewStatus.SUBMITTED if submitted else ReviewStatus.DRAFT,
                    recommendation=recommendation, comment_to_applicant=comment or "",
                    confidential_comment="Checked the budget against local prices." if submitted else "",
                    submitted_at=min(now, declared_at + timedelta(days=3)) if submitted else None)
    criteria = application.call.criteria
    for criterion, score in zip(criteria, scores, strict=False):
        if score is not None:
            review.scores.append(ReviewScore(criterion_id=criterion.id, score=score))
    db.session.add(review)
    report.created["reviews"] += 1


def _decision(now, admin, application: Application, call_key: str, spec: tuple, report) -> None:
    outcome, amount, feedback, rationale = spec
    released_at = now - timedelta(days=data.RELEASED_DAYS_AGO[call_key])
    db.session.add(Decision(
        application_id=application.id, call_id=application.call_id, outcome=outcome,
        amount_minor=to_minor(amount, application.call.programme.currency) if amount is not None else None,
        currency=application.call.programme.currency, feedback=feedback, rationale=rationale, decided_by_id=admin.id,
        decided_at=released_at - timedelta(days=2), status=DecisionStatus.RELEASED, released_at=released_at,
        # As release does: an award is an offer, answered by its deadline (cade/demo/grants.py answers some).
        offer_deadline_at=offer_deadline(released_at) if outcome == "award" else None,
        # What release keeps: the text the applicant was sent (the reviews above are flushed by this query).
        released_feedback=feedback, released_comments=applicant_comments([application.id])[application.id],
    ))
    report.created["decisions"] += 1
