"""The demo's clarification requests and message threads (issue 14), through the real services.

- Teranga Numérique's application to CADE 2026 was asked to clarify its summary, answered it and resubmitted:
  the history (before → after, the response) shows on its page and in its thread.
- Kijiji Connect's application to Community Network Grants 2026 — Round 1 (the demo applicant's) waits for an
  answer about its budget lines and amount, due in five days; its thread holds the request, a message from the
  organisation asking about a quote, and the programme's reply.

Each part runs only when its application has no request yet, so seeding twice adds nothing; services flush,
the command commits.
"""

from datetime import timedelta

from sqlalchemy import exists, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.services import DraftInput
from cade.conversations.answers import ResponseInput, answer_clarification, save_answer
from cade.conversations.clarifications import ClarificationInput, request_clarification
from cade.conversations.constants import ThreadTopic
from cade.conversations.models import ClarificationRequest
from cade.conversations.threads import MessageInput, post_message
from cade.extensions import db
from cade.organisations.models import Membership

ADMIN_EMAIL = "admin@cade.example"
ANSWERED = ("cade-2026", "teranga")
WAITING = ("cng-2026", "kijiji")

ANSWERED_ASK = ("Votre résumé ne dit pas quelles communes de la région de Thiès sont concernées, ni combien de "
                "personnes seront formées. Merci de le préciser.")
ANSWERED_SUMMARY = ("Nous formerons 60 élus et agents de six communes de la région de Thiès (Thiès-Nord, Pout, "
                    "Keur Moussa, Fandène, Notto et Tassette) à l'usage des services numériques publics, et "
                    "publierons un guide du plaidoyer pour l'accès rural.")
ANSWERED_RESPONSE = "Le résumé nomme maintenant les six communes et le nombre de personnes formées (60)."
WAITING_ASK = ("The budget lines add up to the amount requested, but the solar equipment line has no quote. Please "
               "split it into panels, batteries and mounting, each with its supplier's price, and adjust the amount "
               "requested if it changes.")
ORGANISATION_MESSAGE = ("Thank you. Our solar supplier in Jinja sends the new quote on Thursday: may we answer "
                        "on Friday, and attach the quote to a message here?")
PROGRAMME_REPLY = ("Yes: Friday is within the due date. Attach the quote to a message here and change the budget "
                   "lines on the request's page.")


def seed_conversations(seeder, calls: dict, organisations: dict) -> None:
    """One answered clarification and one open, with their threads; flushes, never commits."""
    admin = seeder.users[ADMIN_EMAIL]
    answered = _application(calls, organisations, *ANSWERED)
    if answered is not None and not _has_requests(answered):
        _answered(seeder, admin, answered)
    waiting = _application(calls, organisations, *WAITING)
    if waiting is not None and not _has_requests(waiting):
        _waiting(seeder, admin, waiting)
    db.session.flush()


def _application(calls, organisations, call_key: str, org_key: str) -> Application | None:
    call, organisation = calls.get(call_key), organisations.get(org_key)
    if call is None or organisation is None:
        return None
    return db.session.scalar(select(Application).where(
        Application.call_id == call.id, Application.organisation_id == organisation.id,
        Application.status.in_([ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW,
                                ApplicationStatus.INFO_REQUESTED])))


def _has_requests(application: Application) -> bool:
    return bool(db.session.scalar(select(exists().where(ClarificationRequest.application_id == application.id))))


def _owner(application: Application):
    return db.session.scalar(select(Membership).where(Membership.organisation_id == application.organisation_id)
                             .order_by(Membership.role.desc(), Membership.id)).user


def _ask(seeder, admin, application: Application, fields: list[str], message: str, days: int):
    due_on = (seeder.now + timedelta(days=days)).date()
    command = ClarificationInput.from_input({"fields": fields, "message": message, "due_on": due_on.isoformat()})
    seeder.report.created["clarification_requests"] += 1
    return request_clarification(admin, application.id, command, now=seeder.now)


def _answered(seeder, admin, application: Application) -> None:
    owner = _owner(application)
    clarification = _ask(seeder, admin, application, ["summary"], ANSWERED_ASK, days=7)
    save_answer(owner, clarification.id, DraftInput.from_input({"summary": ANSWERED_SUMMARY},
                                                               currency=application.call.currency),
                ResponseInput.from_input({"response": ANSWERED_RESPONSE}))
    answer_clarification(owner, clarification.id, now=seeder.now)


def _waiting(seeder, admin, application: Application) -> None:
    owner = _owner(application)
    _ask(seeder, admin, application, ["budget_lines", "requested_amount"], WAITING_ASK, days=5)
    for actor, body in ((owner, ORGANISATION_MESSAGE), (admin, PROGRAMME_REPLY)):
        post_message(actor, application.id, ThreadTopic.APPLICATION, MessageInput.from_input({"body": body}))
        seeder.report.created["messages"] += 1
