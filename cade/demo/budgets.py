"""The demo's budget template (issue 14, item 4), through the real services.

CADE 2026: Co-financed Partnership Grants is an open call of the CADE programme, new in the demo, with the EU's
template: direct costs (personnel, equipment, training and workshops, travel; the purchase of land is listed as
a cost the call does not fund), indirect costs at most 7 % of the direct costs, a contingency at most 5 %, and
10 % co-financing. A call of its own, because a template cannot start on a call whose applications were written
with the standard categories (cade/programmes/budgets), and every submitted application of the other open calls
would fail the co-financing it asks.

The demo applicant's organisation (Kijiji Connect) holds a draft there whose overheads are over the indirect-cost
cap: its edit page shows the check failing with its figures, and submitting it is refused with the cap named.
Each piece is added only when missing, so seeding twice adds nothing; services flush, the command commits.
"""

from sqlalchemy import select

from cade.applications.services import DraftInput, save_draft, start_application
from cade.demo import data
from cade.extensions import db
from cade.programmes.budgets import (CategoryInput, CofinancingInput, HeadingInput, add_category, add_heading,
                                     budget_template, set_cofinancing)
from cade.programmes.models import Call

ADMIN_EMAIL = "admin@cade.example"
TITLE = "CADE 2026: Co-financed Partnership Grants"
SPEC = dict(
    title=TITLE, reference_prefix="CADE-2026-CF", timezone="Europe/Brussels", opens_in_hours=-10 * 24,
    closes_in_hours=40 * 24, budget_envelope=300_000, min_award=10_000, max_award=50_000, reviews_required=2,
    blind_review=False, questions=data.CADE_QUESTIONS, rubric=data.CADE_RUBRIC,
    eligible_regions=["002", "142", "419", "009", "151"],
    eligible_stakeholder_groups=["civil_society", "technical_community", "academia"],
    description="Partnership grants of EUR 10,000 to 50,000 on the EU's budget rules: indirect costs at most 7 % "
                "of direct costs, a contingency reserve at most 5 %, and at least 10 % of the budget funded by the "
                "organisation or its partners.")
# (label, kind, cap amount in euros, cap in percent of direct costs, [(category label, code, ineligible)])
TEMPLATE = [
    ("Direct costs", "direct", None, None, [("Personnel", "personnel", False), ("Equipment", "equipment", False),
                                            ("Training and workshops", "training", False), ("Travel", "travel", False),
                                            ("Purchase of land", "land", True)]),
    ("Indirect costs", "indirect", None, "7", [("Overheads", "overheads", False)]),
    ("Contingency", "contingency", None, "5", [("Contingency reserve", "contingency", False)]),
]
COFINANCING = "10"
# The draft: €19,000 of direct costs allow €1,330 of overheads; €1,500 is €170 over the cap.
DRAFT = dict(title="A finance and partnerships office for Kijiji Connect",
             summary="Hire a part-time finance officer, train the board and set up the bookkeeping that partners "
                     "need before they co-fund the network.",
             requested_amount="18900", cofinancing="2100",
             budget_lines=[{"category": "personnel", "description": "Part-time finance officer, 12 months",
                            "amount": "12000"},
                           {"category": "equipment", "description": "Two laptops and accounting software",
                            "amount": "3000"},
                           {"category": "training", "description": "Board and bookkeeping training",
                            "amount": "2500"},
                           {"category": "travel", "description": "Visits to partner funders in Kampala",
                            "amount": "1500"},
                           {"category": "overheads", "description": "Share of office rent and audit",
                            "amount": "1500"},
                           {"category": "contingency", "description": "Reserve", "amount": "500"}])


def seed_budgets(seeder, calls: dict[str, Call], organisations: dict) -> None:
    """The co-financed call, its template and the applicant's draft over the cap; flushes, never commits."""
    admin = seeder.users[ADMIN_EMAIL]
    call = _call(seeder, calls["cade-2026"])
    if not call.budget_headings:
        for label, kind, cap_amount, cap_percent, categories in TEMPLATE:
            heading = add_heading(admin, call.id, HeadingInput.from_input(
                {"label": label, "kind": kind, "cap_amount": cap_amount, "cap_percent": cap_percent},
                currency=call.currency))
            for category_label, code, ineligible in categories:
                add_category(admin, heading.id, CategoryInput.from_input(
                    {"label": category_label, "code": code, "ineligible": ineligible}))
        set_cofinancing(admin, call.id, CofinancingInput.from_input({"cofinancing_percent": COFINANCING}))
        seeder.report.created["budget_templates"] += 1
    _draft(seeder, call, organisations["kijiji"])


def _call(seeder, cade_2026: Call) -> Call:
    call = db.session.scalar(select(Call).where(Call.title == TITLE))
    if call is None:
        call = seeder.call(SPEC, cade_2026.programme)
        db.session.flush()
    return call


def _draft(seeder, call: Call, organisation) -> None:
    if (call.id, organisation.id) in seeder.applications:
        return
    owner = seeder.users[data.APPLICANT_EMAIL]
    application = start_application(owner, call.id, organisation.id, now=seeder.now)
    save_draft(owner, application.id, DraftInput.from_input(DRAFT, currency=call.currency,
                                                            budget=budget_template(call)))
    seeder.applications.add((call.id, organisation.id))
    seeder.report.created["applications"] += 1
