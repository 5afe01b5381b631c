"""A call's life on its machine: draft ⇄ published, each move audited, a refused move explained."""

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition
from cade.extensions import db as _db
from cade.programmes import services
from cade.programmes.constants import CallStatus
from cade.programmes.models import CALL_MACHINE
from tests.factories import CallFactory, QuestionFactory, RubricCriterionFactory


def ready_call():
    call = CallFactory(draft=True)
    QuestionFactory(call=call)
    RubricCriterionFactory(call=call, weight=2)
    return call


def call_events(call):
    return [(e.verb, e.before, e.after, e.actor_id) for e in _db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "Call", AuditEvent.object_id == call.id,
                                 AuditEvent.verb.in_(["call.published", "call.unpublished"]))
        .order_by(AuditEvent.id))]


def test_publishing_and_unpublishing_are_moves_of_the_table_each_audited(db, admin):
    assert sorted(CALL_MACHINE.edges()) == [("draft", "published"), ("published", "draft")]
    call = ready_call()
    services.publish_call(admin, call.id)
    services.unpublish_call(admin, call.id)
    _db.session.commit()
    assert _db.session.get(type(call), call.id, populate_existing=True).status == CallStatus.DRAFT
    assert call_events(call) == [
        ("call.published", {"status": "draft"}, {"status": "published"}, admin.id),
        ("call.unpublished", {"status": "published"}, {"status": "draft"}, admin.id),
    ]


def test_a_move_the_table_refuses_keeps_today_s_messages(db, admin):
    call = ready_call()
    with pytest.raises(InvalidTransition, match="not published"):
        services.unpublish_call(admin, call.id)
    services.publish_call(admin, call.id)
    with pytest.raises(InvalidTransition, match="already published"):
        services.publish_call(admin, call.id)
    assert [verb for verb, *_ in call_events(call)] == ["call.published"]
