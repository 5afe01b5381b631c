"""The demo's assisted application (issue 14, part 5), through the real services.

Collectif Sahel Données Ouvertes, an informal group in Bamako with no
reliable connection, sent its answers to CADE 2026 on the printed form; the
programme's administrator started the application on its behalf, entered the
answers on the applicant's edit page, recorded the consent its coordinator
gave by phone, and submitted it. The collective's member got the notice and
the receipt; the audit trail holds each step. Seeding twice adds nothing: the
whole is skipped once the collective holds an application to the call.
"""

from datetime import timedelta
from decimal import Decimal

from cade.applications.assisted import ConsentInput, record_consent, start_assisted_application
from cade.applications.services import DraftInput, find_live_application, save_draft, submit_application
from cade.demo import data
from cade.programmes.budgets import budget_template
from cade.programmes.constants import CallPhase
from cade.programmes.models import Call

ADMIN_EMAIL = "admin@cade.example"
CALL_KEY, ORGANISATION_KEY = "cade-2026", "sahel"
CONSENT = {"method": "phone", "given_by": "Oumar Traoré, coordinator",
           "note": "Called him on the number in the form; he confirmed the answers and agreed that we submit them."}
DRAFT = {
    "title": "Open municipal budgets for Bamako's communes",
    "summary": "Train our volunteers in financial management and publish the six communes' budgets as open data.",
    "requested_amount": "18000",
    "budget_lines": [
        {"category": "training", "description": "Financial management course for eight volunteers", "amount": "7000"},
        {"category": "equipment", "description": "Two laptops and a shared 4G router", "amount": "4000"},
        {"category": "personnel", "description": "Part-time coordinator, twelve months", "amount": "7000"},
    ],
}
ANSWERS = {
    "problem": "Residents of Bamako's six communes cannot see how their councils spend. Budgets are printed once "
               "a year and kept at the town hall; our volunteers copy them by hand.",
    "plan": "Months 1-3: financial management course. Months 4-12: publish each commune's budget monthly as "
            "open data and discuss it on community radio.",
    "impact": "The collective will keep accounts, report to funders and register as an association. We will "
              "count the budgets published and the radio listeners who call in.",
    "location": "Bamako, communes I to VI",
    "reach": Decimal(40),
    "focus": "Financial management",
}


def seed_assisted(seeder, calls: dict[str, Call], organisations: dict) -> None:
    """The assisted application, started, filled in, consented to by phone and submitted; flushes, never commits."""
    call, organisation = calls[CALL_KEY], organisations[ORGANISATION_KEY]
    if (call.id, organisation.id) in seeder.applications or find_live_application(call.id, organisation.id):
        return
    now = seeder.now
    if call.phase(now) != CallPhase.OPEN:  # a demo database seeded long ago: the call has closed since
        return
    admin = seeder.users[ADMIN_EMAIL]
    application = start_assisted_application(admin, call.id, organisation.id, now=now)
    questions = {question.label: question for question in call.questions}
    answers = {questions[spec["label"]].id: ANSWERS[spec["key"]] for spec in data.CADE_QUESTIONS
               if spec["key"] in ANSWERS and spec["label"] in questions}
    start = next((q for q in call.questions if q.kind == "date"), None)
    if start is not None:
        answers[start.id] = (seeder.now + timedelta(days=60)).date()
    save_draft(admin, application.id, DraftInput.from_input(dict(DRAFT, answers=answers), currency=call.currency,
                                                            budget=budget_template(call)))
    record_consent(admin, application.id, ConsentInput.from_input(CONSENT), now=now)
    submit_application(admin, application.id, now=now)
    seeder.applications.add((call.id, organisation.id))
    seeder.report.created["assisted applications"] += 1
