"""Fixtures of the enquiries tests: an open call, people who ask, and the commands staff send."""

from datetime import timedelta

import pytest

from cade.core.db import utcnow
from cade.enquiries import answering, asking, notices
from cade.extensions import db as _db
from tests.factories import CallFactory, UserFactory


@pytest.fixture()
def call(db):
    """A published call open for another 20 days, in Nairobi's time zone, written in English."""
    return CallFactory(title="Community networks 2026", timezone="Africa/Nairobi")


@pytest.fixture()
def asker(db):
    return UserFactory(name="Wanjiru Kamau", email="wanjiru@example.org", locale="fr")


def ask(user, call, body="Can a network registered last year apply?", now=None):
    """Ask a question through the service and commit it."""
    question = asking.ask_question(user, call.id, asking.QuestionInput.from_input({"body": body}), now=now)
    _db.session.commit()
    return question


def answer_input(call, **values):
    data = {"public_question": "May a network registered last year apply?",
            "answer": "Yes, if it was registered before the call opened.", **values}
    return answering.AnswerInput.from_input(data, language=call.language)


def publish(admin, question, call, **values):
    published = answering.publish_answer(admin, question.id, answer_input(call, **values))
    _db.session.commit()
    return published


def extension_input(call, local_deadline, **values):
    return notices.ExtensionInput.from_input({"new_closes_at": local_deadline, **values}, language=call.language,
                                             timezone=call.timezone)


def days_from_now(days: int):
    return utcnow() + timedelta(days=days)
