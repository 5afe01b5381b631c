"""The demo's assisted application (issue 14, part 5): submitted by the admin for Collectif Sahel Données Ouvertes,
with its consent recorded (phone call), each step audited; seeding twice adds nothing."""

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application, AssistedEntry
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.demo import assisted as demo_assisted
from cade.demo import data
from cade.demo.seed import _Seeder, seed_demo
from cade.notifications.models import Notification


def _counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def seed_assisted(db):
    """Run the assisted part after the rest of the demo, as seed_demo does once it is wired in (then this second
    run adds nothing)."""
    seeder = _Seeder(utcnow())
    calls = {spec["key"]: seeder.calls[spec["title"]] for spec in data.CALLS}
    organisations = {spec["key"]: seeder.organisations[spec["name"]] for spec in data.ORGANISATIONS}
    demo_assisted.seed_assisted(seeder, calls, organisations)
    db.session.commit()
    return seeder.report


@pytest.fixture()
def seeded(app, db):
    seed_demo()
    db.session.commit()
    seed_assisted(db)
    db.session.expire_all()


def test_an_assisted_application_was_submitted_with_consent_by_phone(db, seeded):
    application, entry = db.session.execute(
        select(Application, AssistedEntry).join(AssistedEntry, AssistedEntry.application_id == Application.id)).one()
    assert application.organisation.name == "Collectif Sahel Données Ouvertes"
    assert application.call.title.startswith("CADE 2026")
    assert application.status == ApplicationStatus.SUBMITTED and application.reference.startswith("CADE-2026-")
    assert entry.entered_by.email == demo_assisted.ADMIN_EMAIL
    assert (entry.consent_method, entry.consent_recorded_by_id) == ("phone", entry.entered_by_id)
    verbs = set(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "Application",
                                                                 AuditEvent.object_id == application.id)))
    assert {"application.assisted_started", "application.assisted_step", "application.assisted_consent_recorded",
            "application.submitted"} <= verbs
    receipt = db.session.scalar(select(Notification).where(Notification.kind == "applications.submitted",
                                                           Notification.context["application_id"].as_integer()
                                                           == application.id))
    assert receipt.recipient_email == "oumar.traore@sahel-donnees.example" and receipt.context["assisted"] is True


def test_seeding_twice_adds_nothing(db, seeded):
    before = _counts(db)
    report = seed_assisted(db)
    assert not report.anything_created
    assert _counts(db) == before
