"""Filling in capacity assessments: start, save a draft, submit, and the follow-up a completed course makes due.

Any member of the organisation may start, save and submit its assessments;
anyone else is told the assessment does not exist (NotFound), since which
organisations assess themselves is nobody else's business. One baseline per
organisation: starting it again opens the one there is (draft or not), and a
second one is refused once it has been submitted. A follow-up needs the
submitted baseline it is compared with; an open follow-up draft is reused,
so a double click starts one, not two.

Services take the acting user first, flush and never commit, and raise the
errors of `cade.core.errors`.
"""

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.audit import record_event
from cade.core.commands import Cleaning, Command, FieldErrors, Integer, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import AlreadyExists, InvalidTransition, NotFound, ValidationFailed
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.organisations.services.queries import is_member
from cade.training.assessments.models import (
    ASSESSMENT_MACHINE,
    JUSTIFICATION_MAX_CHARS,
    SCORE_MAX,
    SCORE_MIN,
    AssessmentKind,
    AssessmentScore,
    AssessmentStatus,
    CapacityAssessment,
)
from cade.training.constants import DIMENSION_LABELS, CapacityDimension, SessionStatus
from cade.training.models import Course, Session

DIMENSIONS = tuple(CapacityDimension)


def score_field(dimension: str) -> str:
    return f"score_{dimension}"


def justification_field(dimension: str) -> str:
    return f"justification_{dimension}"


@dataclasses.dataclass(frozen=True)
class Justification(Text):
    """A dimension's justification: at most JUSTIFICATION_MAX_CHARS, refused naming the dimension."""

    label: Any = None

    def clean(self, raw, cleaning):
        own = Cleaning(cleaning.name, FieldErrors(), cleaning.context, cleaning.values)
        value = super().clean(raw, own)
        if own.errors:
            cleaning.refuse(_l("%(dimension)s: use at most %(n)d characters in the justification.",
                               dimension=self.label, n=JUSTIFICATION_MAX_CHARS))
        return value


def _dimension_fields():
    for dimension in DIMENSIONS:
        label = DIMENSION_LABELS[dimension]
        yield (score_field(dimension), int | None, field(Integer(
            SCORE_MIN, SCORE_MAX, required=False,
            message=_l("%(dimension)s: choose a score from 1 to 5.", dimension=label))))
        yield (justification_field(dimension), str | None,
               field(Justification(max_len=JUSTIFICATION_MAX_CHARS, label=label)))


def _missing(command, errors: FieldErrors) -> None:
    """What a submitted assessment lacks: each dimension's score and justification, named (unless already refused)."""
    for dimension in DIMENSIONS:
        label = DIMENSION_LABELS[dimension]
        score, why = score_field(dimension), justification_field(dimension)
        if getattr(command, score) is None and score not in errors:
            errors.add(score, _l("%(dimension)s: choose a score from 1 to 5.", dimension=label))
        if not getattr(command, why) and why not in errors:
            errors.add(why, _l("%(dimension)s: say in a few words why you chose this score.", dimension=label))


def _check(self, errors: FieldErrors) -> None:
    if self.complete:
        _missing(self, errors)


# Two fields per dimension (score_governance, justification_governance, …): a draft may leave any empty.
# `from_input(data, complete=True)` also names every one left empty, with the refused ones, in one error.
AssessmentInput = dataclasses.make_dataclass(
    "AssessmentInput", [*_dimension_fields(), ("complete", bool, field(default=False))], bases=(Command,),
    frozen=True, namespace={"check": _check})
AssessmentInput.__module__ = __name__
AssessmentInput.__doc__ = "An assessment as typed: per dimension a score 1–5 and a justification, each optional."


def _organisation(actor, organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not is_member(actor, organisation):
        raise NotFound()
    return organisation


def get_assessment(actor, assessment_id: int) -> CapacityAssessment:
    """The assessment if the actor is a member of its organisation; NotFound otherwise."""
    assessment = db.session.get(CapacityAssessment, assessment_id)
    if assessment is None or not is_member(actor, assessment.organisation_id):
        raise NotFound()
    return assessment


def submitted_baseline(organisation_id: int) -> CapacityAssessment | None:
    return db.session.scalar(select(CapacityAssessment).where(
        CapacityAssessment.organisation_id == organisation_id, CapacityAssessment.kind == AssessmentKind.BASELINE,
        CapacityAssessment.status == AssessmentStatus.SUBMITTED))


def start_assessment(actor, organisation_id: int, kind: str) -> CapacityAssessment:
    """Open the organisation's baseline, or a follow-up draft (the open one, else a new one).

    Raises NotFound (not a member), AlreadyExists (the baseline was submitted), InvalidTransition
    (a follow-up before the baseline is submitted), ValidationFailed (an unknown kind).
    """
    if kind not in tuple(AssessmentKind):
        raise ValidationFailed({"kind": [_l("Not a valid choice.")]})
    organisation = _organisation(actor, organisation_id)
    lock_row(Organisation, organisation.id)  # two first clicks: the second finds what the first made
    open_draft = select(CapacityAssessment).where(
        CapacityAssessment.organisation_id == organisation.id, CapacityAssessment.kind == kind)
    if kind == AssessmentKind.BASELINE:
        existing = db.session.scalar(open_draft)
        if existing is not None and not existing.is_draft:
            raise AlreadyExists(_l("Your organisation has already submitted its baseline; start a follow-up "
                                   "to measure what changed."))
    else:
        if submitted_baseline(organisation.id) is None:
            raise InvalidTransition(_l("Submit the baseline first: a follow-up is compared with it."))
        existing = db.session.scalar(open_draft.where(CapacityAssessment.status == AssessmentStatus.DRAFT)
                                     .order_by(CapacityAssessment.due_at, CapacityAssessment.id).limit(1))
    if existing is not None:
        return existing
    assessment = CapacityAssessment(organisation_id=organisation.id, kind=kind, status=AssessmentStatus.DRAFT)
    db.session.add(assessment)
    db.session.flush()
    record_event(actor, "capacity_assessment.started", assessment, None,
                 {"organisation_id": organisation.id, "kind": kind})
    return assessment


def _scores(assessment: CapacityAssessment) -> dict:
    return {row.dimension: [row.score, row.justification] for row in assessment.scores}


def _open_draft(actor, assessment_id: int) -> CapacityAssessment:
    assessment = get_assessment(actor, assessment_id)
    lock_row(CapacityAssessment, assessment.id)
    db.session.refresh(assessment)
    if not assessment.is_draft:
        raise InvalidTransition(_l("This assessment has been submitted and can no longer change."))
    return assessment


def _write(assessment: CapacityAssessment, command) -> None:
    rows = {row.dimension: row for row in assessment.scores}
    for dimension in DIMENSIONS:
        row = rows.get(dimension)
        if row is None:
            row = AssessmentScore(dimension=dimension)
            assessment.scores.append(row)
        row.score = getattr(command, score_field(dimension))
        row.justification = getattr(command, justification_field(dimension))
    db.session.flush()


def save_assessment(actor, assessment_id: int, command) -> CapacityAssessment:
    """Save a draft as typed (empty scores and justifications allowed), audited.

    Raises NotFound (not a member), InvalidTransition (already submitted).
    """
    assessment = _open_draft(actor, assessment_id)
    before = _scores(assessment)
    _write(assessment, command)
    record_event(actor, "capacity_assessment.saved", assessment, {"scores": before}, {"scores": _scores(assessment)})
    return assessment


def submit_assessment(actor, assessment_id: int, command) -> CapacityAssessment:
    """Save and submit: every dimension needs a score and a justification; submitted is final.

    Raises NotFound, InvalidTransition (submitted already, or a follow-up whose baseline is not
    submitted), ValidationFailed naming each dimension still missing its score or justification.
    """
    assessment = _open_draft(actor, assessment_id)
    errors = FieldErrors()
    _missing(command, errors)
    errors.raise_if_any()
    if assessment.kind == AssessmentKind.FOLLOW_UP and submitted_baseline(assessment.organisation_id) is None:
        raise InvalidTransition(_l("Submit the baseline first: a follow-up is compared with it."))
    _write(assessment, command)
    ASSESSMENT_MACHINE.move(actor, assessment, AssessmentStatus.SUBMITTED,
                            audit=(None, {"scores": _scores(assessment)}),
                            submitted_at=utcnow(), submitted_by_id=actor.id)
    db.session.refresh(assessment)
    return assessment


def follow_up_due_at(course_id: int) -> datetime | None:
    """ASSESSMENT_FOLLOW_UP_DAYS after the end of the course's last session that was not cancelled."""
    last = db.session.scalar(select(func.max(Session.ends_at)).where(
        Session.course_id == course_id, Session.status != SessionStatus.CANCELLED))
    if last is None:
        return None
    return last + timedelta(days=current_app.config["ASSESSMENT_FOLLOW_UP_DAYS"])


def schedule_follow_up(organisation_id: int, course_id: int, due_at: datetime | None = None) -> CapacityAssessment:
    """Make the organisation's follow-up of this course due (at `due_at`, else `follow_up_due_at`).

    Called when a member of the organisation completes the course. Safe to call again (a second
    member, a second attendance save): the follow-up already scheduled for that course is kept as
    it is. Flushes, never commits; the reminder is sent by `remind_due_follow_ups` once it is due.
    """
    lock_row(Organisation, organisation_id)
    existing = db.session.scalar(select(CapacityAssessment).where(
        CapacityAssessment.organisation_id == organisation_id, CapacityAssessment.course_id == course_id,
        CapacityAssessment.kind == AssessmentKind.FOLLOW_UP))
    if existing is not None:
        return existing
    due_at = due_at or follow_up_due_at(course_id) or utcnow() + timedelta(
        days=current_app.config["ASSESSMENT_FOLLOW_UP_DAYS"])
    assessment = CapacityAssessment(organisation_id=organisation_id, kind=AssessmentKind.FOLLOW_UP,
                                    status=AssessmentStatus.DRAFT, course_id=course_id, due_at=due_at)
    db.session.add(assessment)
    db.session.flush()
    course = db.session.get(Course, course_id)
    record_event(None, "capacity_assessment.scheduled", assessment, None,
                 {"organisation_id": organisation_id, "course_id": course_id,
                  "course_title": getattr(course, "title", None), "due_at": due_at.isoformat()})
    return assessment
