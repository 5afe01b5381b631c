"""The demo's two-stage call (issue 14): three concept notes reviewed and released (two shortlisted, one rejected
with feedback), a full proposal still the draft its concept note started, another submitted and assigned to a
reviewer who reads the concept note beside it; seeding twice adds nothing."""

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.core.db import utcnow
from cade.demo import data
from cade.demo import stages as demo_stages
from cade.demo.seed import _Seeder
from cade.programmes.constants import CallPhase
from cade.programmes.models import Call
from cade.reviews.models import Assignment
from cade.stages.reading import concept_note_for_review


def _counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _seed_stages(db):
    """What seed_demo's line for the stages does, until cade/demo/seed.py calls it."""
    seeder = _Seeder(utcnow())
    calls = {spec["key"]: seeder.calls[spec["title"]] for spec in data.CALLS}
    organisations = {spec["key"]: seeder.organisations[spec["name"]] for spec in data.ORGANISATIONS}
    demo_stages.seed_stages(seeder, calls, organisations)
    db.session.commit()


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    _seed_stages(db)  # adds nothing once seed_demo calls it
    db.session.expire_all()


def _application(db, call, org_key):
    name = next(spec["name"] for spec in data.ORGANISATIONS if spec["key"] == org_key)
    return db.session.scalar(select(Application).where(Application.call_id == call.id,
                                                       Application.organisation.has(name=name)))


def test_the_two_stage_call_shortlists_two_concept_notes_and_starts_their_full_proposals(db, seeded):
    concept = db.session.scalar(select(Call).where(Call.title == demo_stages.CONCEPT_TITLE))
    full = db.session.scalar(select(Call).where(Call.title == demo_stages.FULL_TITLE))
    assert (full.concept_call_id, full.concept_margin_percent) == (concept.id, 15)
    assert (concept.phase(), full.phase()) == (CallPhase.CLOSED, CallPhase.OPEN)
    statuses = {org: _application(db, concept, org).status for org in ("mutare", "andina", "tanna")}
    assert statuses == {"mutare": ApplicationStatus.SHORTLISTED, "andina": ApplicationStatus.SHORTLISTED,
                        "tanna": ApplicationStatus.REJECTED}
    tanna = db.session.scalar(select(Decision).where(Decision.application_id == _application(db, concept,
                                                                                             "tanna").id))
    assert tanna.is_released and "backhaul" in tanna.released_feedback

    mutare, andina = _application(db, full, "mutare"), _application(db, full, "andina")
    assert mutare.status == ApplicationStatus.DRAFT
    assert mutare.concept_application_id == _application(db, concept, "mutare").id
    assert mutare.title == _application(db, concept, "mutare").title
    assert andina.status == ApplicationStatus.UNDER_REVIEW and andina.reference == "CN27-FULL-0001"
    assert _application(db, full, "tanna") is None

    [assignment] = db.session.scalars(select(Assignment).where(Assignment.application_id == andina.id)).all()
    reading = concept_note_for_review(assignment.reviewer, assignment.id)
    assert reading.title == "Community radio links for three ayllus above El Alto"
    assert reading.requested_amount_minor == 24_000_00


def test_seeding_the_stages_twice_adds_nothing(db, seeded):
    before = _counts(db)
    _seed_stages(db)
    db.session.expire_all()
    assert _counts(db) == before
