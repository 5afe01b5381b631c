"""The state machine helper: a table of moves as data, compare-and-set moves (one and many), audited."""

from enum import StrEnum

import pytest
from sqlalchemy import select, update

from cade.applications.models import Application
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition
from cade.core.states import MACHINES, StateMachine, describe_machines
from cade.extensions import db as _db
from tests.concurrency import run_side_by_side
from tests.factories import ApplicationFactory, CallFactory
from tests.querycount import count_statements


class Light(StrEnum):
    """A small life over the applications table, so the helper is tested apart from any domain's rules."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class NotNow(InvalidTransition):
    pass


def light_machine(**kwargs) -> StateMachine:
    declared = dict(
        noun="thing", model=Application, statuses=Light, initial=Light.DRAFT, register=False,
        transitions={Light.DRAFT: {Light.SUBMITTED, Light.WITHDRAWN}, Light.SUBMITTED: {Light.WITHDRAWN},
                     Light.WITHDRAWN: set()},
    )
    return StateMachine(**{**declared, **kwargs})


MACHINE = light_machine()


def events(verb: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.object_type == "Application").order_by(AuditEvent.id)
    if verb:
        query = query.where(AuditEvent.verb == verb)
    return list(_db.session.scalars(query))


def status_of(application_id: int) -> str:
    return _db.session.scalar(select(Application.status).where(Application.id == application_id))


@pytest.fixture()
def call(db):
    return CallFactory()


# --- what the table says ------------------------------------------------------

def test_the_table_answers_every_question_it_is_asked(db):
    assert MACHINE.allows(Light.DRAFT, Light.SUBMITTED) and MACHINE.allows("submitted", "withdrawn")
    assert not MACHINE.allows(Light.SUBMITTED, Light.DRAFT)
    assert not MACHINE.allows(Light.WITHDRAWN, Light.WITHDRAWN)
    assert MACHINE.sources(Light.WITHDRAWN) == (Light.DRAFT, Light.SUBMITTED)
    assert MACHINE.sources(Light.DRAFT) == ()
    assert MACHINE.targets(Light.DRAFT) == {Light.SUBMITTED, Light.WITHDRAWN}
    assert MACHINE.is_final(Light.WITHDRAWN) and not MACHINE.is_final(Light.DRAFT)
    assert MACHINE.edges() == [("draft", "submitted"), ("draft", "withdrawn"), ("submitted", "withdrawn")]
    assert MACHINE.can(Application(status="submitted"), Light.WITHDRAWN)
    assert not MACHINE.can(Application(status="withdrawn"), Light.SUBMITTED)
    assert MACHINE.verb(Light.SUBMITTED) == "thing.submitted"
    assert light_machine(verbs={Light.WITHDRAWN: "abandoned"}).verb(Light.WITHDRAWN) == "thing.abandoned"


def test_a_table_must_name_every_status_and_only_its_statuses(db):
    with pytest.raises(ValueError, match="no transitions declared"):
        StateMachine(noun="thing", model=Application, statuses=Light, initial=Light.DRAFT, register=False,
                     transitions={Light.DRAFT: {Light.SUBMITTED}})
    with pytest.raises(ValueError):
        StateMachine(noun="thing", model=Application, statuses=Light, initial=Light.DRAFT, register=False,
                     transitions={**MACHINE.transitions, Light.DRAFT: {"awarded"}})
    with pytest.raises(ValueError):
        light_machine(initial="awarded")


def test_a_noun_is_declared_once_and_every_domain_machine_is_registered(db):
    assert {"application", "call", "review", "decision"} <= set(MACHINES)
    assert "thing" not in MACHINES  # throw-away machines stay out of the registry and the docs
    with pytest.raises(ValueError, match="already declared"):
        StateMachine(noun="application", model=Application, statuses=Light, initial=Light.DRAFT,
                     transitions=MACHINE.transitions)


# --- one move -------------------------------------------------------------------

def test_an_allowed_move_changes_the_row_sets_the_values_and_is_audited(admin, call):
    application = ApplicationFactory(call=call)
    moved = MACHINE.move(admin, application, Light.WITHDRAWN, title="Gone")
    _db.session.commit()
    assert moved is application and application.status == "withdrawn" and application.title == "Gone"
    assert status_of(application.id) == "withdrawn"
    [event] = events()
    assert (event.verb, event.actor_id, event.object_id) == ("thing.withdrawn", admin.id, application.id)
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "withdrawn"})


def test_a_move_can_carry_more_detail_into_its_audit_row(admin, call):
    application = ApplicationFactory(call=call)
    MACHINE.move(admin, application, Light.SUBMITTED, audit=({"title": "Old"}, {"title": "New", "status": "x"}))
    [event] = events()
    assert event.before == {"title": "Old", "status": "draft"}
    assert event.after == {"title": "New", "status": "submitted"}  # the status is always the move's own


def test_a_move_the_table_refuses_raises_the_machine_s_error_and_changes_nothing(admin, call):
    application = ApplicationFactory(call=call, status="withdrawn")
    with pytest.raises(InvalidTransition):
        MACHINE.move(admin, application, Light.SUBMITTED)
    with pytest.raises(NotNow):
        light_machine(error=NotNow).move(admin, application, Light.DRAFT)
    assert status_of(application.id) == "withdrawn" and events() == []


def test_the_loser_of_a_compare_and_set_gets_the_error_and_reads_the_winner_s_status(admin, call):
    application = ApplicationFactory(call=call)
    # Another transaction submitted it after this session read it as a draft.
    _db.session.execute(update(Application.__table__).where(Application.__table__.c.id == application.id)
                        .values(status="submitted"))
    assert application.status == "draft"
    with pytest.raises(InvalidTransition):
        MACHINE.move(admin, application, Light.SUBMITTED)
    assert application.status == "submitted"
    assert events() == []


def test_of_two_concurrent_moves_of_one_row_only_one_wins(app, admin, call):
    application_id = ApplicationFactory(call=call).id

    def withdraw():
        MACHINE.move(None, _db.session.get(Application, application_id), Light.WITHDRAWN)

    outcomes = run_side_by_side(app, [withdraw, withdraw], pause_after="from applications")
    assert sorted(map(str, outcomes)) == sorted(["done", str(InvalidTransition())])
    assert status_of(application_id) == "withdrawn"
    assert len(events("thing.withdrawn")) == 1


# --- many at once -----------------------------------------------------------------

def test_many_rows_move_together_each_audited(admin, call):
    drafts = [ApplicationFactory(call=call) for _ in range(2)]
    submitted = ApplicationFactory(call=call, submitted=True)
    ids = [a.id for a in [*drafts, submitted]]
    moved = MACHINE.move_many(admin, ids + [drafts[0].id], Light.WITHDRAWN)  # from every status the table allows
    _db.session.commit()
    assert sorted(moved) == sorted(ids)
    assert {a.status for a in [*drafts, submitted]} == {"withdrawn"}
    assert sorted((e.object_id, e.before["status"]) for e in events("thing.withdrawn")) == sorted(
        [(drafts[0].id, "draft"), (drafts[1].id, "draft"), (submitted.id, "submitted")])
    assert MACHINE.move_many(admin, [], Light.WITHDRAWN) == []


def test_a_batch_is_refused_whole_when_one_row_has_moved_or_the_table_refuses(admin, call):
    first, second = ApplicationFactory(call=call), ApplicationFactory(call=call, submitted=True)
    with pytest.raises(InvalidTransition):
        MACHINE.move_many(admin, [first.id, second.id], Light.SUBMITTED, from_statuses=[Light.DRAFT])
    _db.session.rollback()
    assert (status_of(first.id), status_of(second.id)) == ("draft", "submitted")
    with pytest.raises(InvalidTransition):
        MACHINE.move_many(admin, [second.id], Light.DRAFT, from_statuses=[Light.SUBMITTED])
    with pytest.raises(InvalidTransition):
        MACHINE.move_many(admin, [], Light.DRAFT, from_statuses=[Light.SUBMITTED])
    _db.session.rollback()
    assert events() == []


def test_a_bulk_move_runs_the_same_statements_for_three_rows_as_for_thirty(admin, call):
    def statements(n: int) -> int:
        ids = [ApplicationFactory(call=call).id for _ in range(n)]
        _, count = count_statements(lambda: MACHINE.move_many(admin, ids, Light.WITHDRAWN))
        _db.session.commit()
        return count

    assert statements(3) == statements(30)
    assert len(events()) == 33


def test_a_claim_moves_what_still_matches_and_a_second_claim_finds_nothing(admin, call):
    other_call = CallFactory()
    mine = [ApplicationFactory(call=call), ApplicationFactory(call=call, submitted=True)]
    ApplicationFactory(call=other_call)
    withdrawn = ApplicationFactory(call=call, status="withdrawn")
    claimed = MACHINE.move_where(admin, Light.WITHDRAWN, Application.call_id == call.id)
    assert sorted(claimed) == sorted(a.id for a in mine) and withdrawn.id not in claimed
    assert MACHINE.move_where(admin, Light.WITHDRAWN, Application.call_id == call.id) == []
    with pytest.raises(InvalidTransition):
        MACHINE.move_where(admin, Light.DRAFT, Application.call_id == call.id, from_statuses=[Light.SUBMITTED])
    assert len(events()) == 2


# --- the document -----------------------------------------------------------------

def test_the_document_shows_every_declared_machine_s_table(db):
    text = describe_machines()
    for noun, machine in MACHINES.items():
        assert f"## {noun}" in text
        for old, new in machine.edges():
            assert f"    {old} --> {new}" in text
    assert "| `withdrawn` | — (final) |" in text
