"""The reviewer's side of a review: their assignments and their scores (what they may read: `reading`).

Two dates matter and they are not the same. The *due date* (the assignment's
own `due_at`, else the call's review deadline) is what the reviewer is asked
to meet: it is shown, reminded about, and makes a review overdue. The *review
deadline* of the call (`settings.review_deadline`) is the hard stop: after it
no review of the call changes, not even a draft. A call without a review
deadline has no hard stop, so a reviewer past their own due date may still
finish.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.exc import IntegrityError

from cade.applications.models import Application
from cade.core.audit import record_event
from cade.core.commands import Choice, Cleaner, Command, FieldErrors, Flag, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import DeadlinePassed
from cade.extensions import db
from cade.organisations.models import Membership, Organisation
from cade.programmes.models import Call, RubricCriterion
from cade.reviews.constants import COMMENT_MAX_CHARS, Recommendation, ReviewStatus
from cade.reviews.models import (
    REVIEW_MACHINE,
    Assignment,
    CallReviewSettings,
    ConflictDeclaration,
    Review,
    ReviewScore,
)
from cade.reviews.services.aggregation import keep_scores, weighted_score
from cade.reviews.services.finality import refuse_if_final, released
from cade.reviews.services.reading import readable_assignment
from cade.reviews.services.settings import review_deadline

# A score as a form sends it: ASCII digits only ("2.5", "-1", "+3" and "٣" are not whole numbers from 0).
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


# --- the dashboard ---------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentSummary:
    """One line of the reviewer's dashboard."""

    assignment_id: int
    call_id: int
    call_title: str
    reference: str | None
    title: str
    organisation_name: str | None  # None in blind calls
    due_at: datetime | None
    deadline_at: datetime | None  # the call's review deadline: no change after it
    declared: bool
    review_status: str | None
    scored: int
    criteria: int
    final: bool = False  # the decision on the application is released: the review no longer changes

    @property
    def submitted(self) -> bool:
        return self.review_status == ReviewStatus.SUBMITTED

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and not self.submitted and utcnow() > self.due_at

    @property
    def closed(self) -> bool:
        return deadline_passed(self.deadline_at)


def reviewer_assignments(user) -> list[AssignmentSummary]:
    """The reviewer's assignments, soonest due first, with progress; one query whatever their number.

    The organisation's name is read only for calls that are not blind.
    Assignments to the reviewer's own organisation's applications are left
    out: the reviewer may not open them; so are those they declared a conflict
    with after submitting (kept on record, closed to them). `final` marks those
    whose decision has been released.
    """
    score_counts = (select(ReviewScore.review_id, func.count(ReviewScore.id).label("n"))
                    .group_by(ReviewScore.review_id).subquery())
    criteria_counts = (select(RubricCriterion.call_id, func.count(RubricCriterion.id).label("n"))
                       .group_by(RubricCriterion.call_id).subquery())
    due = func.coalesce(Assignment.due_at, CallReviewSettings.review_deadline_at)
    own_organisation = exists().where(Membership.organisation_id == Application.organisation_id,
                                      Membership.user_id == user.id)
    rows = db.session.execute(
        select(Assignment.id, Assignment.call_id, Call.title, Application.reference, Application.title,
               case((Call.blind_review.is_(False), Organisation.name)), due, CallReviewSettings.review_deadline_at,
               ConflictDeclaration.has_conflict, Review.status,
               func.coalesce(score_counts.c.n, 0), func.coalesce(criteria_counts.c.n, 0), released())
        .join(Call, Call.id == Assignment.call_id)
        .join(Application, Application.id == Assignment.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(CallReviewSettings, CallReviewSettings.call_id == Assignment.call_id)
        .outerjoin(ConflictDeclaration, (ConflictDeclaration.application_id == Assignment.application_id)
                   & (ConflictDeclaration.reviewer_id == Assignment.reviewer_id))
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .outerjoin(score_counts, score_counts.c.review_id == Review.id)
        .outerjoin(criteria_counts, criteria_counts.c.call_id == Assignment.call_id)
        .where(Assignment.reviewer_id == user.id, ~own_organisation, ConflictDeclaration.has_conflict.is_not(True))
        .order_by(due.is_(None), due, Assignment.id)
    ).all()
    return [AssignmentSummary(assignment_id=a_id, call_id=call_id, call_title=call_title, reference=reference,
                              title=title, organisation_name=organisation_name, due_at=due_at, deadline_at=deadline_at,
                              declared=has_conflict is not None, review_status=status, scored=scored,
                              criteria=criteria, final=bool(final))
            for (a_id, call_id, call_title, reference, title, organisation_name, due_at, deadline_at, has_conflict,
                 status, scored, criteria, final) in rows]


@dataclass(frozen=True)
class ReviewDates:
    """An assignment's two dates (see the module's docstring), read together for its page."""

    due_at: datetime | None  # the assignment's own due date, else the call's review deadline
    deadline_at: datetime | None  # the call's review deadline: no change after it

    @property
    def closed(self) -> bool:
        return deadline_passed(self.deadline_at)


def review_dates(assignment: Assignment) -> ReviewDates:
    """The assignment's due date and its call's review deadline, reading the call's settings once."""
    deadline = review_deadline(assignment.call_id)
    return ReviewDates(due_at=assignment.due_at or deadline, deadline_at=deadline)


def review_deadline_for(assignment: Assignment) -> datetime | None:
    """When the reviewer is asked to have finished: the assignment's due date, else the call's review deadline.

    A due date that passes makes the review overdue, not locked; see
    `reviews_closed` for the hard stop.
    """
    return assignment.due_at or review_deadline(assignment.call_id)


def reviews_closed(call_id: int) -> bool:
    """Whether the call's review deadline has passed, so that no review of it may change."""
    return deadline_passed(review_deadline(call_id))


def deadline_passed(deadline_at: datetime | None) -> bool:
    """Whether a review deadline (None: none set) has passed."""
    return deadline_at is not None and utcnow() > deadline_at


# --- scoring ---------------------------------------------------------------------

def review_total(review_id: int | None) -> float | None:
    """The review's weighted total, 0–100, as the ranking counts it (aggregation.weighted_score); one query.

    None until every criterion of the call has a score: a review counts only once
    submitted, and submitting needs every score. None too when no scored
    criterion carries weight, as the ranking then leaves the review out. A
    draft gets the total it will count with once submitted.
    """
    if review_id is None:
        return None
    total = (select(weighted_score()).select_from(ReviewScore)
             .join(Review, Review.id == ReviewScore.review_id)
             .join(RubricCriterion, and_(RubricCriterion.id == ReviewScore.criterion_id,
                                         RubricCriterion.call_id == Review.call_id))
             .where(ReviewScore.review_id == review_id).scalar_subquery())
    unscored = (select(func.count(RubricCriterion.id))
                .join(Review, Review.call_id == RubricCriterion.call_id)
                .outerjoin(ReviewScore, and_(ReviewScore.review_id == Review.id,
                                             ReviewScore.criterion_id == RubricCriterion.id))
                .where(Review.id == review_id, ReviewScore.id.is_(None)).scalar_subquery())
    score, missing = db.session.execute(select(total, unscored)).one()
    return score if missing == 0 else None


def _out_of_scale(max_score: int):
    return _l("Enter a whole number from 0 to %(max)d.", max=max_score)


@dataclass(frozen=True)
class Scores(Cleaner):
    """Scores by criterion id as typed, checked against the rubric's scales (context `scales`: {id: maximum}).

    Blank clears a score (None); anything else must be ASCII digits within
    0..maximum ("2.5", "-1", "+3" and "٣" are not). Ids of no criterion in
    `scales` are left out. A refusal lands on ``score_<criterion id>``.
    """

    def clean(self, raw, cleaning):
        scales = cleaning.context.get("scales") or {}
        scores: dict[int, int | None] = {}
        for key, typed in (raw.items() if isinstance(raw, Mapping) else ()):
            criterion_id = int(key) if isinstance(key, int) or _WHOLE_NUMBER.fullmatch(str(key)) else None
            if criterion_id not in scales:
                continue
            text = "" if typed is None else str(typed).strip()
            if isinstance(typed, bool) or (text and not _WHOLE_NUMBER.fullmatch(text)) \
                    or (text and int(text) > scales[criterion_id]):
                cleaning.errors.add(f"score_{criterion_id}", _out_of_scale(scales[criterion_id]))
                continue
            scores[criterion_id] = int(text) if text else None
        return scores


@dataclass(frozen=True)
class ReviewInput(Command):
    """A reviewer's review as typed: scores by criterion id (None clears one), recommendation, comments, submit."""

    scores: dict[int, int | None] = field(Scores(), default_factory=dict)
    recommendation: str | None = field(Choice(Recommendation, message=_l("Choose one of the recommendations.")))
    comment_to_applicant: str | None = field(Text(max_len=COMMENT_MAX_CHARS))
    confidential_comment: str | None = field(Text(max_len=COMMENT_MAX_CHARS))
    submit: bool = field(Flag(), default=False)


def _checked_scores(criteria, existing: dict[int, int], command: ReviewInput, complete: bool) -> dict[int, int | None]:
    """The scores to store ({criterion id: score, or None to clear}) on the rubric as it is now; or ValidationFailed.

    The rubric may have changed since the form was read (until the first review locks it): scores of
    criteria gone are dropped, a score above a criterion's new maximum refused. With `complete`
    (submitting), every criterion must end up scored and a recommendation chosen.
    """
    errors = FieldErrors()
    by_id = {criterion.id: criterion for criterion in criteria}
    changes = {cid: value for cid, value in command.scores.items() if cid in by_id}
    for criterion_id, value in changes.items():
        if value is not None and value > by_id[criterion_id].max_score:
            errors.add(f"score_{criterion_id}", _out_of_scale(by_id[criterion_id].max_score))
    if complete:
        for criterion in criteria:
            key = f"score_{criterion.id}"
            if key not in errors and changes.get(criterion.id, existing.get(criterion.id)) is None:
                errors.add(key, _l("Give a score from 0 to %(max)d before submitting.", max=criterion.max_score))
        if command.recommendation is None:
            errors.add("recommendation", _l("Choose a recommendation before submitting."))
    errors.raise_if_any()
    return changes


def _new_review(assignment: Assignment) -> Review:
    """A draft review for the assignment; the one another request has just created, if it won a race."""
    try:
        with db.session.begin_nested():
            review = Review(assignment_id=assignment.id, call_id=assignment.call_id,
                            application_id=assignment.application_id, reviewer_id=assignment.reviewer_id,
                            status=ReviewStatus.DRAFT, comment_to_applicant="", confidential_comment="")
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        existing = db.session.scalar(select(Review).where(Review.assignment_id == assignment.id))
        if existing is None:
            raise
        return existing
    return review


def _snapshot(review: Review) -> dict:
    return {"status": review.status, "recommendation": review.recommendation,
            "scores": {str(score.criterion_id): score.score for score in review.scores}}


def save_review(actor, assignment_id: int, command: ReviewInput) -> Review:
    """Save the reviewer's scores, recommendation and comments; submit them when `command.submit`.

    Scores of criteria that are not the call's are ignored. A draft may be partial;
    submitting needs every criterion and a recommendation. A submitted review
    stays submitted: saving it again re-submits it, complete. Changes stop at
    the call's review deadline (DeadlinePassed), drafts included, and for good
    once the decision on the application is released (ReviewFinal, checked
    under the call's row lock that the release takes too). Raises
    NotFound unless `actor` is the assigned reviewer and has declared no
    conflict, ValidationFailed (keys "score_<criterion id>", "recommendation",
    "comment_to_applicant", "confidential_comment") on any bad value, in
    which case nothing is changed.
    """
    # The call first, as the rubric editors take it: a criterion cannot be deleted or rescaled while the
    # call's first review is being written (once that review commits, the rubric is locked).
    call_id = db.session.scalar(select(Assignment.call_id).where(Assignment.id == assignment_id))
    if call_id is not None:
        lock_row(Call, call_id)
    # One save at a time per assignment: a double-click cannot create two reviews or interleave scores. Read after
    # the lock, so that an assignment taken away meanwhile (a conflict declared in another tab) is seen to be gone.
    lock_row(Assignment, assignment_id)
    assignment = readable_assignment(actor, assignment_id, fresh=True)
    refuse_if_final(assignment.application_id)
    if reviews_closed(assignment.call_id):
        raise DeadlinePassed(_l("The review deadline has passed: reviews of this call can no longer change."))
    criteria = db.session.scalars(select(RubricCriterion).where(RubricCriterion.call_id == assignment.call_id)
                                  .order_by(RubricCriterion.position, RubricCriterion.id)).all()
    review = db.session.scalar(select(Review).where(Review.assignment_id == assignment.id))
    stored = {score.criterion_id: score for score in review.scores} if review is not None else {}
    submit = command.submit or (review is not None and review.status == ReviewStatus.SUBMITTED)
    changes = _checked_scores(criteria, {cid: s.score for cid, s in stored.items()}, command, complete=submit)
    if review is None:
        review = _new_review(assignment)
    before = _snapshot(review)
    for criterion_id, value in changes.items():
        row = stored.get(criterion_id)
        if value is None:
            if row is not None:
                review.scores.remove(row)
        elif row is None:
            review.scores.append(ReviewScore(criterion_id=criterion_id, score=value))
        else:
            row.score = value
    review.recommendation = command.recommendation
    review.comment_to_applicant = command.comment_to_applicant or ""
    review.confidential_comment = command.confidential_comment or ""
    if submit and REVIEW_MACHINE.can(review, ReviewStatus.SUBMITTED):
        # The move writes the one audit row, with the scores before and after beside the status.
        REVIEW_MACHINE.move(actor, review, ReviewStatus.SUBMITTED, submitted_at=utcnow(),
                            audit=(before, _snapshot(review)))
    else:
        if submit:  # a submitted review saved again: re-submitted, and as complete as the first time
            review.submitted_at = utcnow()
        db.session.flush()
        record_event(actor, "review.submitted" if submit else "review.saved", review, before, _snapshot(review))
    if submit:  # a draft counts nowhere, so only a submission moves the kept figures (under the call's lock, above)
        keep_scores(review.call_id, review.reviewer_id)
    return review
