"""The demo's budget template (issue 14, item 4): a co-financed call with the EU's headings and caps, and the demo
applicant's draft over the indirect-cost cap, refused at submission with the cap named; seeding twice adds nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cade.applications.budget_checks import application_budget_checks, failing
from cade.applications.models import Application
from cade.applications.services import submit_application
from cade.core.db import utcnow
from cade.core.errors import ValidationFailed
from cade.demo import budgets as demo_budgets
from cade.demo import data
from cade.demo.seed import _Seeder, seed_demo
from cade.programmes.budgets import budget_template
from cade.programmes.models import Call


def _counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def seed_budgets(db):
    """Run the budget part after the rest of the demo, as cade/demo/seed.py's seed_demo does (once it is wired in,
    this runs it a second time, which adds nothing)."""
    seeder = _Seeder(utcnow())
    calls = {spec["key"]: seeder.calls[spec["title"]] for spec in data.CALLS}
    organisations = {spec["key"]: seeder.organisations[spec["name"]] for spec in data.ORGANISATIONS}
    demo_budgets.seed_budgets(seeder, calls, organisations)
    db.session.commit()
    return seeder.report


@pytest.fixture()
def seeded(app, db):
    seed_demo()
    db.session.commit()
    seed_budgets(db)
    db.session.expire_all()


def _call(db) -> Call:
    return db.session.scalar(select(Call).where(Call.title == demo_budgets.TITLE))


def _draft(db, call) -> Application:
    return db.session.scalar(select(Application).where(Application.call_id == call.id))


def test_an_open_call_has_the_eu_template_and_asks_for_cofinancing(db, seeded):
    call = _call(db)
    assert call.is_open()
    template = budget_template(call)
    assert [(h.label, h.kind, h.cap_percent) for h in template.headings] == [
        ("Direct costs", "direct", None), ("Indirect costs", "indirect", Decimal("7.00")),
        ("Contingency", "contingency", Decimal("5.00"))]
    assert template.option("land").ineligible and template.cofinancing_percent == Decimal("10.00")
    assert template.direct_codes == {"personnel", "equipment", "training", "travel"}


def test_the_applicants_draft_is_over_the_indirect_cap_and_refused_with_it_named(db, seeded):
    call = _call(db)
    application = _draft(db, call)
    assert application.status == "draft" and application.created_by.email == data.APPLICANT_EMAIL
    assert application.cofinancing_minor == 2_100_00 and application.requested_amount_minor == 18_900_00
    [over] = failing(application_budget_checks(application))
    assert over.message == ("Indirect costs may be at most 7% of direct costs: €1,330.00 of €19,000.00 allowed, "
                            "you entered €1,500.00 — over by €170.00.")
    with pytest.raises(ValidationFailed) as caught:
        submit_application(application.created_by, application.id)
    assert over.message in caught.value.errors["budget_lines"]
    db.session.rollback()


def test_seeding_the_budgets_twice_adds_nothing(db, seeded):
    before = _counts(db)
    report = seed_budgets(db)
    db.session.expire_all()
    assert _counts(db) == before and not report.anything_created
