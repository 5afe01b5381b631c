"""The concept note beside its full proposal: its reviewers read it (blind where the call is), nobody else gains
access through it, and its organisation finds one stage from the other."""

import io

import pytest

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Attachment
from cade.core.db import utcnow
from cade.core.storage import get_storage
from cade.extensions import db as _db
from cade.stages.reading import concept_note_for_review, stage_facts
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ConflictDeclarationFactory,
    ReviewerProfileFactory,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def add_pdf(application, question_id=None, name="Letter from the chief.pdf") -> Attachment:
    stored_name, size, sha256 = get_storage().put(io.BytesIO(PDF), 10_000_000)
    attachment = Attachment(application_id=application.id, question_id=question_id, stored_name=stored_name,
                            original_name=name, content_type="application/pdf", size=size, sha256=sha256,
                            uploaded_at=utcnow())
    _db.session.add(attachment)
    _db.session.commit()
    return attachment


@pytest.fixture()
def reviewed(stages):
    """Kijiji's concept note (shortlisted, with a letter) and its full proposal under review, assigned to a
    reviewer who declared no conflict; a second reviewer assigned to it who has not declared yet."""
    note, owner = stages.concept_note("Kijiji Mesh", members=1)
    note.status = ApplicationStatus.SHORTLISTED
    letter = add_pdf(note, question_id=stages.letter.id)
    full = ApplicationFactory(call=stages.full, organisation=note.organisation, under_review=True,
                              concept_application_id=note.id, requested_amount_minor=21_000_00,
                              title="Full: Kijiji Mesh")
    assignment = AssignmentFactory(application=full)
    ConflictDeclarationFactory(assignment=assignment)
    undeclared = AssignmentFactory(application=full)
    _db.session.commit()
    return {"note": note, "owner": owner, "full": full, "assignment": assignment, "undeclared": undeclared,
            "letter": letter}


def test_the_reviewer_of_the_full_proposal_reads_its_concept_note(stages, reviewed):
    reading = concept_note_for_review(reviewed["assignment"].reviewer, reviewed["assignment"].id)
    assert (reading.title, reading.reference, reading.requested_amount_minor, reading.call_title) == (
        "Concept: Kijiji Mesh", reviewed["note"].reference, 20_000_00, "Concept notes 2026")
    answers = {str(answer.label): answer for answer in reading.answers}
    assert answers["Describe the network you will build."].text == "Mesh network of Kijiji Mesh."
    assert answers["Asked only of concept notes"].text == "Only here"  # the concept note as it was, whole
    [letter] = answers["Letter of support"].attachments
    assert letter.name == "Letter from the chief.pdf"  # the call is not blind
    assert [line.amount_minor for line in reading.budget_lines] == [20_000_00]
    assert (reading.margin.low_minor, reading.margin.high_minor) == (18_000_00, 22_000_00)


def test_in_a_blind_call_the_concept_notes_files_are_not_named(stages, reviewed):
    stages.concept.blind_review = True
    _db.session.commit()
    reading = concept_note_for_review(reviewed["assignment"].reviewer, reviewed["assignment"].id)
    [letter] = next(a for a in reading.answers if str(a.label) == "Letter of support").attachments
    assert (letter.name, letter.download_name) == (None, "attachment-1.pdf")


def test_nobody_else_reads_the_concept_note_through_an_assignment(stages, reviewed):
    assignment = reviewed["assignment"]
    # Not yet declared, a conflict declared, another reviewer, the applicant, an admin: nothing.
    assert concept_note_for_review(reviewed["undeclared"].reviewer, reviewed["undeclared"].id) is None
    stranger = ReviewerProfileFactory().user
    assert concept_note_for_review(stranger, assignment.id) is None
    assert concept_note_for_review(reviewed["owner"], assignment.id) is None
    assert concept_note_for_review(stages.admin, assignment.id) is None
    ConflictDeclarationFactory(assignment=reviewed["undeclared"], has_conflict=True, reason="My cousin.")
    assert concept_note_for_review(reviewed["undeclared"].reviewer, reviewed["undeclared"].id) is None


def test_a_reviewer_of_another_call_finds_no_concept_note(stages, reviewed):
    other = AssignmentFactory()
    ConflictDeclarationFactory(assignment=other)
    assert concept_note_for_review(other.reviewer, other.id) is None
    # A reviewer of the concept note itself reads it on its own review page, not as a concept note beside it.
    of_note = AssignmentFactory(application=reviewed["note"])
    ConflictDeclarationFactory(assignment=of_note)
    assert concept_note_for_review(of_note.reviewer, of_note.id) is None


def test_the_organisation_finds_its_full_proposal_from_its_concept_note_and_back(stages, reviewed):
    note, full = reviewed["note"], reviewed["full"]
    facts = stage_facts(note)
    assert facts.shortlisted and facts.full_proposal.id == full.id
    assert (facts.full_call_title, facts.full_call_opens_at) == ("Full proposals 2026", None)
    back = stage_facts(full)
    assert back.concept_note.id == note.id and back.margin.percent == 10
    assert not stage_facts(ApplicationFactory()).shortlisted
    assert stage_facts(ApplicationFactory()).concept_note is None
