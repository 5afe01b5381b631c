"""Releasing a concept-note call's shortlist: each shortlisted organisation's full proposal starts from its concept note.

Awards calls `release_hooks` with the decisions it has just released, in the
releasing transaction (cade/awards/services/release.py); `on_decisions_released`
is registered there from cade/wiring.py. For every concept note shortlisted,
it writes a draft application to the full-proposal call, even before that call
opens, filled from the concept note (`start_full_proposal`), and tells the
organisation's active members that they are invited (`stages.invited`, with
the full call's deadline). A concept note that already has its full proposal
(a second release, a hook run twice) gets nothing more, and nobody is told twice.
"""

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cade.applications.constants import LIVE_STATUSES, ApplicationStatus
from cade.applications.models import Answer, Application, BudgetLine
from cade.awards.constants import DecisionOutcome
from cade.core.audit import record_event
from cade.core.money import Money
from cade.core.questionnaires import Question, kind_of, store_answers
from cade.core.timeutil import moment_json, utcnow
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.services.queries import members_of_organisations
from cade.programmes.constants import CallPhase
from cade.programmes.models import Call


def carried_answers(concept_note: Application, questions: Iterable[Question]) -> dict[int, dict]:
    """The concept note's answers that a full-proposal question asks again, by that question's id.

    A question is asked again when it has the same label and the same kind.
    Files are not carried over (they are uploaded again), nor a choice that
    the full call's question no longer offers.
    """
    asked = {(question.label, question.kind): question for question in questions}
    carried: dict[int, dict] = {}
    for answer in concept_note.answers:
        source = answer.question
        question = asked.get((source.label, source.kind))
        stores = kind_of(source.kind).stores if question is not None else None
        value = getattr(answer, stores) if stores else None
        if value in (None, ""):
            continue
        if question.kind == "choice" and value not in (question.choices or []):
            continue
        carried[question.id] = {stores: value}
    return carried


def start_full_proposal(concept_note: Application, full_call: Call) -> Application | None:
    """A draft to `full_call` for the concept note's organisation, started from the concept note; None when the
    organisation already has a live application there (nothing is changed then).

    Its title, summary, requested amount and budget lines are the concept
    note's, with the answers `carried_answers` finds; `concept_application_id`
    names the concept note and `created_by` is the concept note's creator.
    Audited as `application.started` (no actor: the release, audited itself,
    did it). Flushes.
    """
    draft = Application(call=full_call, organisation_id=concept_note.organisation_id,
                        created_by_id=concept_note.created_by_id, status=ApplicationStatus.DRAFT,
                        title=concept_note.title or "", summary=concept_note.summary or "",
                        requested_amount_minor=concept_note.requested_amount_minor,
                        concept_application_id=concept_note.id)
    draft.budget_lines = [BudgetLine(position=position, category=line.category, description=line.description,
                                     amount_minor=line.amount_minor)
                          for position, line in enumerate(concept_note.budget_lines)]
    store_answers(draft.answers, lambda question_id: Answer(question_id=question_id),
                  carried_answers(concept_note, full_call.questions))
    try:
        # A savepoint: a live application of the organisation to the call (or a full proposal of this concept
        # note) written meanwhile by another transaction refuses ours, and the release goes on without it.
        with db.session.begin_nested():
            db.session.add(draft)
            db.session.flush()
    except IntegrityError:
        return None
    record_event(None, "application.started", draft, after={
        "call_id": full_call.id, "organisation_id": draft.organisation_id,
        "concept_application_id": concept_note.id, "started_from": "concept_note"})
    return draft


def _existing(full_call_id: int, concept_notes: list[Application]) -> set[int]:
    """Concept notes (by id) whose organisation already holds a live application to the full call, or which
    already have a full proposal (one query)."""
    rows = db.session.execute(select(Application.organisation_id, Application.concept_application_id).where(
        Application.call_id == full_call_id,
        or_(Application.organisation_id.in_([note.organisation_id for note in concept_notes]),
            Application.concept_application_id.in_([note.id for note in concept_notes])),
        Application.status.in_([str(status) for status in LIVE_STATUSES]))).all()
    organisations = {organisation_id for organisation_id, _concept in rows}
    started = {concept_id for _organisation, concept_id in rows}
    return {note.id for note in concept_notes if note.organisation_id in organisations or note.id in started}


def on_decisions_released(decisions) -> None:
    """Awards' release hook: a draft full proposal, and an invitation, for each concept note shortlisted now.

    Decisions of any other outcome, and shortlists of a call no longer linked
    to a full-proposal call, are left alone. A handful of queries per release
    whatever its size, bar the rows written for each invited organisation.
    """
    ids = [decision.application_id for decision in decisions if decision.outcome == DecisionOutcome.SHORTLIST]
    if not ids:
        return
    concept_notes = db.session.scalars(
        select(Application).where(Application.id.in_(ids))
        .options(selectinload(Application.answers).joinedload(Answer.question),
                 selectinload(Application.budget_lines))
        .order_by(Application.reference, Application.id)).all()
    by_call: dict[int, list[Application]] = {}
    for note in concept_notes:
        by_call.setdefault(note.call_id, []).append(note)
    for notes in by_call.values():
        full_call = notes[0].call.full_call
        if full_call is None:
            continue
        skipped = _existing(full_call.id, notes)
        started = [(note, start_full_proposal(note, full_call)) for note in notes if note.id not in skipped]
        tell_invited(full_call, [(note, draft) for note, draft in started if draft is not None])


def tell_invited(full_call: Call, started: list[tuple[Application, Application]]) -> None:
    """One `stages.invited` message per active member of each organisation invited; a key already queued is
    skipped. The context holds raw values: the deadline and opening moment in the full call's zone, amounts as
    Money."""
    members = members_of_organisations(draft.organisation_id for _note, draft in started)
    messages = [(note, draft, user, f"stages-invited:{note.id}:{user.id}")
                for note, draft in started for user in members.get(draft.organisation_id, [])]
    queued = queued_keys(key for *_rest, key in messages)
    upcoming = full_call.phase(utcnow()) == CallPhase.UPCOMING
    currency = full_call.currency
    for note, draft, user, key in messages:
        if key in queued:
            continue
        notify("stages.invited", recipient=user, locale=user.locale or "en", key=key, known_new=True, context={
            "application_id": draft.id,
            "concept_title": note.title,
            "concept_reference": note.reference or "",
            "concept_call_title": note.call.title,
            "call_title": full_call.title,
            "deadline": moment_json(full_call.closes_at, full_call.timezone),
            "opens": moment_json(full_call.opens_at, full_call.timezone) if upcoming else None,
            "margin_percent": full_call.concept_margin_percent,
            "concept_amount": (None if note.requested_amount_minor is None
                               else Money(note.requested_amount_minor, currency).to_json()),
        })
