"""The pages of two-stage calls, one test per role for each rule: the stages page (admins), deciding and releasing
a concept-note call, the concept note on the review page and its files, and the organisation's own pages."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.extensions import db as _db
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ConflictDeclarationFactory,
    DecisionFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.stages.conftest import opens_later
from tests.stages.test_reading import add_pdf
from tests.stages.test_rules import complete


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))).strip()


# ---------------------------------------------------------------- the stages page


def test_the_stages_page_is_for_admins_only(client, login, stages):
    url = f"/admin/calls/{stages.full.id}/stages"
    for user in (UserFactory(roles=["reviewer"]), UserFactory()):
        login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, data={"concept_call_id": str(stages.concept.id)}).status_code == 404
    login(stages.admin)
    text = text_of(client.get(url))
    assert "Concept-note call Concept notes 2026" in text and "10 % either way" in text
    assert f'href="/admin/calls/{stages.full.id}/stages"' in client.get(
        f"/admin/calls/{stages.full.id}").get_data(as_text=True)
    concept_page = text_of(client.get(f"/admin/calls/{stages.concept.id}/stages"))
    assert "This call is the concept-note stage of “Full proposals 2026”" in concept_page


def test_a_bad_margin_is_named_beside_its_field_and_what_was_typed_stays(client, login, stages):
    login(stages.admin)
    url = f"/admin/calls/{stages.full.id}/stages"
    response = client.post(url, data={"concept_call_id": str(stages.concept.id), "margin_percent": "ten"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="margin_percent-error">Enter a whole percentage from 0 to 100', html)
    assert 'value="ten"' in html
    assert stages.full.concept_margin_percent == 10
    # Saved twice (a double click): the same result, one audit row.
    for _ in range(2):
        response = client.post(url, data={"concept_call_id": str(stages.concept.id), "margin_percent": "15"})
        assert response.status_code == 303
    _db.session.expire_all()
    assert stages.full.concept_margin_percent == 15


def test_unlinking_a_call_with_applications_is_refused_with_the_reason(client, login, stages):
    stages.concept_note("Kijiji Mesh")
    ApplicationFactory(call=stages.full)
    login(stages.admin)
    response = client.post(f"/admin/calls/{stages.full.id}/stages/unlink")
    assert response.status_code == 303
    assert "its concept-note stage can no longer be removed" in text_of(client.get(response.headers["Location"]))
    _db.session.expire_all()
    assert stages.full.concept_call_id == stages.concept.id


# ---------------------------------------------------------------- deciding and releasing the concept notes


def test_a_concept_note_is_decided_shortlist_or_reject_with_no_amount(client, login, stages):
    note, _owner = stages.concept_note("Kijiji Mesh")
    login(stages.admin)
    url = f"/admin/applications/{note.id}/decision"
    html = client.get(url).get_data(as_text=True)
    assert re.findall(r'name="outcome"[^>]*value="(\w+)"', html) == ["shortlist", "reject"]
    assert 'name="amount"' not in html and "concept-note stage of “Full proposals 2026”" in unescape(html)
    response = client.post(url, data={"outcome": "award", "amount": "20000", "feedback": "Yes.", "rationale": "R."})
    assert response.status_code == 422 and _db.session.scalar(select(Decision.id)) is None
    response = client.post(url, data={"outcome": "shortlist", "feedback": "Yes.", "rationale": "R."})
    assert response.status_code == 302
    assert _db.session.scalar(select(Decision.outcome)) == "shortlist"
    ranking = text_of(client.get(f"/admin/calls/{stages.concept.id}/ranking"))
    assert "This is the concept-note stage of “Full proposals 2026”: decide shortlist or reject." in ranking


def test_the_release_page_of_a_concept_note_call_counts_shortlist_and_reject(client, login, stages):
    note, _owner = stages.concept_note("Kijiji Mesh")
    DecisionFactory(application=note, outcome="shortlist", amount_minor=None)
    login(stages.admin)
    text = text_of(client.get(f"/admin/calls/{stages.concept.id}/release"))
    assert "Shortlist 1 Reject 0" in text and "Award" not in text


# ---------------------------------------------------------------- the review page


@pytest.fixture()
def reviewed(stages):
    note, owner = stages.concept_note("Kijiji Mesh")
    note.status = ApplicationStatus.SHORTLISTED
    letter = add_pdf(note, question_id=stages.letter.id)
    full = ApplicationFactory(call=stages.full, organisation=note.organisation, under_review=True,
                              concept_application_id=note.id, title="Full: Kijiji Mesh")
    assignment = AssignmentFactory(application=full)
    ConflictDeclarationFactory(assignment=assignment)
    _db.session.commit()
    return {"note": note, "owner": owner, "full": full, "assignment": assignment, "letter": letter}


def test_the_reviewer_reads_the_concept_note_beside_the_full_proposal_and_downloads_its_files(client, login,
                                                                                               reviewed):
    assignment, letter = reviewed["assignment"], reviewed["letter"]
    login(assignment.reviewer)
    text = text_of(client.get(f"/review/assignments/{assignment.id}"))
    assert "The concept note (first stage, read-only)" in text
    assert "Mesh network of Kijiji Mesh." in text and "Margin allowed 10 % either way" in text
    download = client.get(f"/review/assignments/{assignment.id}/concept-note/attachments/{letter.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "Letter from the chief.pdf" in download.headers["Content-Disposition"]


def test_nobody_else_downloads_a_concept_notes_file(client, login, stages, reviewed):
    assignment, letter = reviewed["assignment"], reviewed["letter"]
    url = f"/review/assignments/{assignment.id}/concept-note/attachments/{letter.id}"
    other = AssignmentFactory()
    ConflictDeclarationFactory(assignment=other)
    login(other.reviewer)
    assert client.get(url).status_code == 404
    assert client.get(f"/review/assignments/{other.id}/concept-note/attachments/{letter.id}").status_code == 404
    login(reviewed["owner"])  # the applicant reads the concept note on its own page, not here
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- the organisation's pages


def test_the_shortlisted_organisation_goes_from_its_concept_note_to_its_full_proposal(client, login, stages,
                                                                                        reviewed):
    note, full, owner = reviewed["note"], reviewed["full"], reviewed["owner"]
    DecisionFactory(application=note, outcome="shortlist", amount_minor=None, released_at=note.submitted_at)
    login(owner)
    text = text_of(client.get(f"/applications/{note.id}"))
    assert "Shortlisted: your full proposal" in text and "Full proposals 2026" in text
    assert f'href="/applications/{full.id}"' in client.get(f"/applications/{note.id}").get_data(as_text=True)
    outcome = text_of(client.get(f"/applications/{note.id}/decision"))
    assert "Your concept note has been shortlisted" in outcome
    back = text_of(client.get(f"/applications/{full.id}"))
    assert "This full proposal follows the concept note “Concept: Kijiji Mesh”" in back
    # Another organisation's member finds neither.
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=OrganisationFactory())
    login(stranger)
    assert client.get(f"/applications/{note.id}").status_code == 404
    assert client.get(f"/applications/{full.id}").status_code == 404


def test_the_draft_says_where_it_came_from_and_when_its_call_opens(client, login, stages):
    opens_later(stages.full)
    note, owner = stages.concept_note("Kijiji Mesh")
    login(stages.admin)
    client.post(f"/admin/applications/{note.id}/decision",
                data={"outcome": "shortlist", "feedback": "Yes.", "rationale": "R."})
    client.post(f"/admin/calls/{stages.concept.id}/release", data={"confirm": "1", "expected": "1"})
    full = _db.session.scalar(select(Application).where(Application.call_id == stages.full.id))
    login(owner)
    edit = text_of(client.get(f"/applications/{full.id}/edit"))
    assert "This draft was started from the concept note" in edit and "Files are not carried over" in edit
    assert "from $18,000.00 to $22,000.00 (10 % either way)" in edit
    assert "This call opens on" in edit
    dashboard = text_of(client.get("/applications/"))
    assert re.search(r"Full proposals 2026 .* opens \d", dashboard), dashboard


def test_a_submission_outside_the_margin_is_shown_on_the_amount_and_the_draft_kept(client, login, stages):
    note, owner = stages.concept_note("Kijiji Mesh")
    note.status = ApplicationStatus.SHORTLISTED
    full = ApplicationFactory(call=stages.full, organisation=note.organisation, concept_application_id=note.id,
                              created_by=owner)
    _db.session.commit()
    complete(owner, full, "25000")
    login(owner)
    response = client.post(f"/applications/{full.id}/submit")
    assert response.status_code in (302, 303) and "check=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="requested_amount-error">You request \$25,000.00, but your concept note requested '
                     r'\$20,000.00', page)
    _db.session.expire_all()
    assert (full.status, full.requested_amount_minor) == (ApplicationStatus.DRAFT, 25_000_00)
