"""What a reviewer may read of an assigned application: blind-aware, and only after "no conflict"."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO, NamedTuple

from cade.applications.constants import ALLOWED_CONTENT_TYPES
from cade.applications.models import Application, Attachment
from cade.applications.services import download_name
from cade.core.errors import NotFound
from cade.core.storage import get_storage
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.organisations.services import members_of
from cade.reviews.models import Assignment
from cade.reviews.permissions import can_read_application_for_review, can_see_assignment
from cade.reviews.services.conflicts import declaration_for
from cade.reviews.services.settings import review_deadline
from cade.core.translations import localized


def readable_assignment(actor, assignment_id: int, *, fresh: bool = False) -> Assignment:
    """The assignment, if `actor` is its reviewer and has declared no conflict; NotFound otherwise.

    `fresh` reads the assignment and the declaration from the database even if the session holds them
    (after taking a lock, to see what another transaction changed meanwhile).
    """
    assignment = db.session.get(Assignment, assignment_id, populate_existing=fresh)
    if assignment is None:
        raise NotFound()
    declaration = declaration_for(getattr(actor, "id", None), assignment.application_id, fresh=fresh)
    if not can_read_application_for_review(actor, assignment, declaration):
        raise NotFound()
    return assignment


@dataclass(frozen=True)
class DeclarationFacts:
    """What the reviewer reads before answering the conflict question: enough to know the applicant, no more."""

    assignment_id: int
    call_title: str
    reference: str | None
    title: str
    organisation_name: str | None  # None in blind calls
    blind: bool
    due_at: datetime | None


def declaration_facts(actor, assignment_id: int) -> DeclarationFacts:
    """The application as its assigned reviewer sees it before declaring; NotFound for anyone else.

    In an open call the organisation is named, as the reviewer needs the name to
    judge a conflict; in a blind call it is not. The due date is the assignment's,
    else the call's review deadline.
    """
    assignment = db.session.get(Assignment, assignment_id)
    if not can_see_assignment(actor, assignment):
        raise NotFound()
    return facts_before_declaring(assignment)


def facts_before_declaring(assignment: Assignment) -> DeclarationFacts:
    """`declaration_facts` of an assignment its caller has already found open to the reader (can_see_assignment),
    so that the page does not ask twice; it checks nothing."""
    application, call = assignment.application, assignment.call
    return DeclarationFacts(
        assignment_id=assignment.id, call_title=call.title, reference=application.reference,
        title=application.title, organisation_name=None if call.blind_review else application.organisation.name,
        blind=call.blind_review, due_at=assignment.due_at or review_deadline(assignment.call_id))


@dataclass(frozen=True)
class ReviewAttachment:
    id: int
    number: int  # "Attachment 1" in the order the files were added
    kind: str  # "PDF"
    content_type: str
    size: int
    question_id: int | None
    name: str | None  # the uploaded file's name; None in blind calls
    download_name: str


class ReviewBudgetLine(NamedTuple):
    category: str
    description: str
    amount_minor: int


@dataclass(frozen=True)
class ReviewAnswer:
    question_id: int
    label: str
    help_text: str | None
    kind: str
    text: str | None
    number: Decimal | None
    date_value: date | None
    attachments: tuple[ReviewAttachment, ...]


@dataclass(frozen=True)
class ApplicantFacts:
    """Who applied, as far as the reviewer may know: only region and type in blind calls."""

    region_code: str
    organisation_type: str
    name: str | None = None
    acronym: str | None = None
    website: str | None = None
    country: str | None = None
    stakeholder_group: str | None = None
    member_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewReading:
    """What a reviewer may read of one application; plain values, so that a template cannot reach further."""

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
    applicant: ApplicantFacts


def review_attachments(application: Application, blind: bool) -> list[ReviewAttachment]:
    """An application's files as a reviewer sees them: named "Attachment n (PDF, 120 KB)" in blind calls."""
    entries = []
    for number, attachment in enumerate(application.attachments, start=1):
        extension = ALLOWED_CONTENT_TYPES.get(attachment.content_type, "")
        entries.append(ReviewAttachment(
            id=attachment.id, number=number, kind=extension.lstrip(".").upper() or "FILE",
            content_type=attachment.content_type, size=attachment.size, question_id=attachment.question_id,
            name=None if blind else attachment.original_name,
            download_name=f"attachment-{number}{extension}" if blind else download_name(attachment)))
    return entries


def _applicant_facts(organisation: Organisation, blind: bool) -> ApplicantFacts:
    if blind:
        return ApplicantFacts(region_code=organisation.region_code, organisation_type=organisation.organisation_type)
    return ApplicantFacts(
        region_code=organisation.region_code, organisation_type=organisation.organisation_type,
        name=organisation.name, acronym=organisation.acronym, website=organisation.website,
        country=organisation.country, stakeholder_group=organisation.stakeholder_group,
        member_names=tuple(membership.user.name for membership in members_of(organisation)))


def application_for_review(actor, assignment_id: int) -> ReviewReading:
    """The application as its reviewer may read it, once they have declared no conflict (NotFound otherwise).

    In blind calls the organisation is reduced to its region and type, and
    files to "Attachment 1 (PDF, 120 KB)": no name, acronym, website,
    members, file names, uploader or upload time.
    """
    return review_reading(readable_assignment(actor, assignment_id))


def review_reading(assignment: Assignment) -> ReviewReading:
    """`application_for_review` of an assignment its caller has already found readable by the reader
    (can_read_application_for_review), so that the page does not ask twice; it checks nothing."""
    application, call = assignment.application, assignment.call
    blind = call.blind_review
    answers, budget_lines, attachments = reading_parts(application, blind)
    return ReviewReading(
        assignment_id=assignment.id, call_title=call.title, currency=call.currency, blind=blind,
        reference=application.reference, title=application.title, summary=application.summary,
        requested_amount_minor=application.requested_amount_minor, answers=answers,
        budget_lines=budget_lines, attachments=attachments,
        applicant=_applicant_facts(application.organisation, blind))


def reading_parts(application: Application, blind: bool) -> tuple[tuple[ReviewAnswer, ...],
                                                                   tuple[ReviewBudgetLine, ...],
                                                                   tuple[ReviewAttachment, ...]]:
    """An application's answers (in the reader's language), budget lines and the files not attached to a question,
    as a reviewer reads them: also the concept note beside a full proposal (cade/stages/reading.py)."""
    attachments = review_attachments(application, blind)
    answers = {answer.question_id: answer for answer in application.answers}
    reading_answers = []
    for question in application.call.questions:
        answer = answers.get(question.id)
        reading_answers.append(ReviewAnswer(
            question_id=question.id, label=localized(question, "label"), help_text=question.help_text,
            kind=question.kind, text=answer.text if answer else None, number=answer.number if answer else None,
            date_value=answer.date_value if answer else None,
            attachments=tuple(a for a in attachments if a.question_id == question.id)))
    budget_lines = tuple(ReviewBudgetLine(line.category, line.description, line.amount_minor)
                         for line in application.budget_lines)
    return tuple(reading_answers), budget_lines, tuple(a for a in attachments if a.question_id is None)


def open_review_attachment(actor, assignment_id: int, attachment_id: int) -> tuple[ReviewAttachment, BinaryIO]:
    """One of the application's files for its reviewer, under a neutral name in blind calls.

    Raises NotFound (not the reviewer, no "no conflict" declaration yet, not
    this application's file) and FileNotFoundError when the stored file is gone.
    """
    assignment = readable_assignment(actor, assignment_id)
    entry = next((a for a in review_attachments(assignment.application, assignment.call.blind_review)
                  if a.id == attachment_id), None)
    if entry is None:
        raise NotFound()
    stored_name = db.session.get(Attachment, attachment_id).stored_name
    return entry, get_storage().open(stored_name)
