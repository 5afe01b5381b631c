"""The demo's two-stage call (issue 14), through the real services.

Community Networks 2027 asks first for concept notes (closed 25 days ago) and
then for full proposals (open until 45 days from now), a margin of 15 % on the
amount requested. Three concept notes were reviewed and decided: Mutare
Community Wireless and Red Comunitaria Andina shortlisted, Tanna Island
Connect rejected with feedback; releasing them started each shortlisted
organisation's full proposal from its concept note (cade/stages/invitations.py,
awards' release hook). Mutare's is still the draft it started as; Andina
completed and submitted its own, and Carlos Mendoza, assigned to review it,
has declared no conflict and reads the concept note beside it.

The concept notes are written as the seed writes any demo application (the
call has closed), then assigned, reviewed, decided and released by the
services; each stage runs only when what it makes is missing, so seeding
twice adds nothing. Services flush; the command commits.
"""

from datetime import timedelta

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.services import DraftInput, save_draft, submit_application
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.awards.services.release import release_decisions
from cade.demo import data
from cade.extensions import db
from cade.programmes.models import Call
from cade.reviews.services.assignment import assign_reviewer
from cade.reviews.services.conflicts import declare_conflict
from cade.reviews.services.scoring import ReviewInput, save_review
from cade.stages.links import StageLinkInput, link_stages

ADMIN_EMAIL = "admin@cade.example"
CONCEPT_REVIEWER, FULL_REVIEWER = "reviewer1@cade.example", "reviewer2@cade.example"
CONCEPT_TITLE = "Community Networks 2027 — Concept notes"
FULL_TITLE = "Community Networks 2027 — Full proposals"
MARGIN_PERCENT = 15
_COMMON = dict(timezone="America/New_York", budget_envelope=300_000, min_award=5_000, max_award=40_000,
               reviews_required=1, blind_review=False, rubric=data.CN_RUBRIC)
CONCEPT_SPEC = dict(
    _COMMON, title=CONCEPT_TITLE, reference_prefix="CN27-CONCEPT", opens_in_hours=-70 * 24,
    closes_in_hours=-25 * 24,
    questions=[spec for spec in data.CN_QUESTIONS if spec["key"] in ("problem", "plan", "reach", "focus")],
    description="The first of two stages: a concept note of two pages. Shortlisted organisations are invited to "
                "send a full proposal, started from their concept note.")
FULL_SPEC = dict(
    _COMMON, title=FULL_TITLE, reference_prefix="CN27-FULL", opens_in_hours=-3 * 24, closes_in_hours=45 * 24,
    questions=data.CN_QUESTIONS,
    description="The second stage: full proposals from the organisations shortlisted in the concept-note stage. "
                "The amount requested may differ from the concept note's by at most 15 %.")

# (organisation, outcome, feedback, amount, budget, answers, the reviewer's scores and comment)
CONCEPT_NOTES = [
    ("mutare", "shortlist", "A convincing start; in the full proposal, show the costs of each of the four sites.",
     18_000, "Mesh links between four wards of Sakubva, powered by the sun",
     {"problem": "Sakubva's households share one congested 3G mast; most pay per megabyte.",
      "plan": "Four rooftop nodes and a school backhaul, run by a residents' committee.",
      "reach": 600, "focus": 1}, [3, 2, 2, 2], "Clear need; the sustainability plan needs numbers."),
    ("andina", "shortlist", "Strong ownership by the ayllus. Please give quotes for the radios.",
     24_000, "Community radio links for three ayllus above El Alto",
     {"problem": "Three ayllus at 4,000 metres have no fixed line and weak mobile signal.",
      "plan": "Point-to-point links from El Alto, a local cache, and training for six technicians.",
      "reach": 900, "focus": 2}, [3, 2, 3, 2], "Well costed and owned by the communities it serves."),
    ("tanna", "reject", "The plan depends on a backhaul that is not yet funded; apply again once it is.",
     30_000, "A wireless ring around Tanna Island",
     {"problem": "Villages on the east coast of Tanna are out of reach of the island's only tower.",
      "plan": "A ring of relays around the island, with a satellite backhaul we are still seeking funds for.",
      "reach": 1_200, "focus": 0}, [2, 1, 1, 1], "Ambitious; the backhaul is the missing piece."),
]
BUDGET = [("equipment", "Radios, antennas and masts", 60), ("equipment", "Solar panels and batteries", 25),
          ("training", "Technician training", 15)]


def seed_stages(seeder, calls: dict[str, Call], organisations: dict) -> None:
    """The two calls, their link, the concept notes' review and release, and Andina's full proposal; flushes."""
    users = seeder.users
    admin = users[ADMIN_EMAIL]
    programme = calls["cng-2026"].programme
    concept, full = (_call(seeder, spec, programme) for spec in (CONCEPT_SPEC, FULL_SPEC))
    if full.concept_call_id is None:
        link_stages(admin, full.id, StageLinkInput.from_input({"concept_call_id": concept.id,
                                                               "margin_percent": MARGIN_PERCENT}))
        seeder.report.created["two_stage_calls"] += 1
    existing = set(db.session.scalars(select(Application.organisation_id).where(Application.call_id == concept.id)))
    missing = [spec for spec in CONCEPT_NOTES if organisations[spec[0]].id not in existing]
    for position, spec in enumerate(missing):
        _reviewed_concept_note(seeder, admin, users[CONCEPT_REVIEWER], concept, organisations[spec[0]], spec,
                               submitted_hours=24 * (30 - position))
    if missing:
        release_decisions(admin, concept.id)
    _submitted_full_proposal(seeder, admin, users[FULL_REVIEWER], full, organisations["andina"])
    db.session.flush()


def _call(seeder, spec: dict, programme) -> Call:
    call = db.session.scalar(select(Call).where(Call.title == spec["title"]))
    if call is None:
        call = seeder.call(spec, programme)
        db.session.flush()
    return call


def _reviewed_concept_note(seeder, admin, reviewer, concept: Call, organisation, spec, submitted_hours: int) -> None:
    """Written as submitted (the call has closed), then assigned, reviewed and decided by the services."""
    _org_key, outcome, feedback, amount, title, answers, scores, comment = spec
    seeder.application(dict(status="submitted", submitted_hours=submitted_hours, title=title,
                            summary=answers["plan"], amount=amount, budget=BUDGET, **answers),
                       concept, organisation)
    db.session.flush()
    note = db.session.scalar(select(Application).where(Application.call_id == concept.id,
                                                       Application.organisation_id == organisation.id))
    assignment = assign_reviewer(admin, note.id, reviewer.id)
    declare_conflict(reviewer, assignment.id, False)
    save_review(reviewer, assignment.id, ReviewInput.from_input({
        "scores": {criterion.id: str(score) for criterion, score in zip(concept.criteria, scores)},
        "recommendation": "fund" if outcome == "shortlist" else "do_not_fund", "comment_to_applicant": comment,
        "confidential_comment": "", "submit": True}, scales={c.id: c.max_score for c in concept.criteria}))
    decide_application(admin, note.id, DecisionInput.from_input(
        {"outcome": outcome, "feedback": feedback, "rationale": "Panel of the concept-note stage."},
        currency=concept.currency))
    seeder.report.created["concept_notes"] += 1


def _submitted_full_proposal(seeder, admin, reviewer, full: Call, organisation) -> None:
    """Andina completes the draft its concept note started, within the margin, submits it, and it is assigned."""
    draft = db.session.scalar(select(Application).where(
        Application.call_id == full.id, Application.organisation_id == organisation.id,
        Application.status == ApplicationStatus.DRAFT))
    if draft is None:
        return  # submitted already (or never started: the release hook is not wired)
    owner = next(m.user for m in organisation.memberships if m.role == "owner")
    questions = {question.label: question for question in full.questions}
    answers = {str(questions[label].id): value for label, value in (
        ("How will the network pay for itself after the grant?",
         "Each household pays 20 bolivianos a month to the ayllu's committee, which covers bandwidth."),
        ("Nearest town with commercial internet access", "El Alto"),
        ("Date the first new site goes live", (full.closes_at + timedelta(days=60)).date()))}
    save_draft(owner, draft.id, DraftInput.from_input({
        "requested_amount": "26000", "answers": answers,
        "budget_lines": [{"category": "equipment", "description": "Radios, antennas and masts (three quotes)",
                          "amount": "16000"},
                         {"category": "equipment", "description": "Solar panels and batteries", "amount": "6000"},
                         {"category": "training", "description": "Technician training, six people",
                          "amount": "4000"}]}, currency=full.currency))
    submit_application(owner, draft.id)
    assignment = assign_reviewer(admin, draft.id, reviewer.id)
    declare_conflict(reviewer, assignment.id, False)
    seeder.report.created["full_proposals"] += 1
