"""The concept note beside its full proposal: for the proposal's reviewers (read-only, blind-aware), and for the
organisation on its own pages (where its full proposal is, where it came from).

A reviewer reads a concept note only through an assignment of its full
proposal that they may read (`readable_assignment`: assigned, reviewer role,
"no conflict" declared), never on its own: nobody gains access to a concept
note through this that they did not have to the full proposal. In a blind
call (either stage's) the files are named "Attachment 1 (PDF, 120 KB)" as on
the review page, and nothing names the organisation.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select

from cade.applications.constants import LIVE_STATUSES, ApplicationStatus
from cade.applications.models import Application, Attachment
from cade.core.errors import NotFound
from cade.core.storage import get_storage
from cade.extensions import db
from cade.programmes.constants import CallPhase
from cade.reviews.models import Assignment
from cade.reviews.services.reading import (
    ReviewAnswer,
    ReviewAttachment,
    ReviewBudgetLine,
    reading_parts,
    review_attachments,  # the one place files are named for reviewers, blind or not
    readable_assignment,
)
from cade.stages.concept_notes import Margin, concept_note_of, margin_of


@dataclass(frozen=True)
class ConceptNoteReading:
    """What a reviewer of a full proposal reads of its concept note; plain values, as on the review page."""

    assignment_id: int
    call_title: str
    currency: str
    blind: bool
    reference: str | None
    title: str
    summary: str
    requested_amount_minor: int | None
    answers: tuple[ReviewAnswer, ...]
    budget_lines: tuple[ReviewBudgetLine, ...]
    attachments: tuple[ReviewAttachment, ...]  # those not attached to a question
    margin: Margin | None


def _readable_concept_note(actor, assignment_id: int):
    """(assignment, concept note, blind) when `actor` may read the assignment's full proposal; NotFound otherwise
    (also when the application answers no concept note)."""
    assignment = db.session.get(Assignment, assignment_id)
    # Most calls have one stage: with no concept note to show there is nothing to check access to (the answer,
    # NotFound, is the same for everyone); the check runs whenever there is a note.
    concept_note = concept_note_of(assignment.application) if assignment is not None else None
    if concept_note is None:
        raise NotFound()
    assignment = readable_assignment(actor, assignment_id)
    return assignment, concept_note, assignment.call.blind_review or concept_note.call.blind_review


def concept_note_for_review(actor, assignment_id: int) -> ConceptNoteReading | None:
    """The concept note of the full proposal behind the assignment, as its reviewer may read it; None when the
    application answers no concept note, or when `actor` may not read the assignment (the page is theirs)."""
    try:
        assignment, note, blind = _readable_concept_note(actor, assignment_id)
    except NotFound:
        return None
    answers, budget_lines, attachments = reading_parts(note, blind)
    return ConceptNoteReading(
        assignment_id=assignment.id, call_title=note.call.title, currency=note.call.currency, blind=blind,
        reference=note.reference, title=note.title, summary=note.summary,
        requested_amount_minor=note.requested_amount_minor, answers=answers, budget_lines=budget_lines,
        attachments=attachments,
        margin=margin_of(assignment.application, note))


def open_concept_note_attachment(actor, assignment_id: int, attachment_id: int) -> tuple[ReviewAttachment,
                                                                                           BinaryIO]:
    """One of the concept note's files for a reviewer of its full proposal, under a neutral name in blind calls.

    Raises NotFound (not a reader of the assignment, no concept note, not the
    concept note's file) and FileNotFoundError when the stored file is gone.
    """
    _assignment, note, blind = _readable_concept_note(actor, assignment_id)
    entry = next((a for a in review_attachments(note, blind) if a.id == attachment_id), None)
    if entry is None:
        raise NotFound()
    return entry, get_storage().open(db.session.get(Attachment, attachment_id).stored_name)


@dataclass(frozen=True)
class StageFacts:
    """An application's place in a two-stage call, for its organisation's pages (and admins')."""

    concept_note: Application | None  # the concept note a full proposal answers
    full_proposal: Application | None  # a shortlisted concept note's full proposal, once started
    full_call_title: str | None
    full_call_opens_at: datetime | None  # set while the full call has not opened yet
    full_call_closes_at: datetime | None
    full_call_timezone: str | None
    margin: Margin | None

    @property
    def shortlisted(self) -> bool:
        return self.full_call_title is not None


NO_STAGES = StageFacts(None, None, None, None, None, None, None)


def stage_facts(application: Application | None) -> StageFacts:
    """Where `application` stands in a two-stage call: a shortlisted concept note and its full proposal, or a full
    proposal and its concept note (with the margin); NO_STAGES for anything else. At most two queries."""
    if application is None:
        return NO_STAGES
    call = application.call
    if call.concept_call_id is not None:
        note = concept_note_of(application)
        return StageFacts(note, None, None, None, None, None, margin_of(application, note)) if note else NO_STAGES
    if application.status != ApplicationStatus.SHORTLISTED:
        return NO_STAGES
    full_call = call.full_call
    if full_call is None:
        return NO_STAGES
    full = db.session.scalar(select(Application).where(
        Application.call_id == full_call.id, Application.organisation_id == application.organisation_id,
        Application.status.in_([str(status) for status in LIVE_STATUSES])))
    upcoming = full_call.phase() == CallPhase.UPCOMING
    return StageFacts(None, full, full_call.title, full_call.opens_at if upcoming else None, full_call.closes_at,
                      full_call.timezone, None)
