"""Every message of clarifications and threads renders, in the recipient's language, with its link, e-mail and
inbox alike; none names who asked to the applicant."""

import io
from datetime import timedelta

import pytest

from cade.applications.services import DraftInput
from cade.conversations.answers import ResponseInput, answer_clarification, save_answer
from cade.conversations.clarifications import DueDateInput, extend_clarification, withdraw_clarification
from cade.conversations.reminders import remind_due_clarifications
from cade.conversations.threads import MessageInput, Upload, post_message
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.notifications.rendering import render_in_app, render_notification
from tests.applications.files import make_pdf
from tests.conversations.conftest import ask

KINDS = {"clarification_requested", "clarification_answered", "clarification_withdrawn", "clarification_extended",
         "clarification_due", "message_posted"}


@pytest.mark.parametrize("locale", ["en", "fr", "es", "pt"])
def test_every_kind_renders_in_the_recipients_language(admin, application, owner, reviewer, call, outbox, locale):
    owner.locale = locale
    call.reviewers_may_clarify = True
    _db.session.commit()
    first = ask(reviewer, application, fields=["summary", "budget_lines"],
                due_on=(utcnow() + timedelta(days=1)).date())
    remind_due_clarifications()
    extend_clarification(admin, first.id, DueDateInput.from_input(
        {"due_on": (utcnow() + timedelta(days=9)).date().isoformat()}))
    save_answer(owner, first.id, DraftInput.from_input({}, currency="USD"),
                ResponseInput.from_input({"response": "Ok"}))
    answer_clarification(owner, first.id)
    second = ask(admin, application)
    withdraw_clarification(admin, second.id)
    post_message(owner, application.id, "application", MessageInput.from_input({"body": "Here"}),
                 [Upload(io.BytesIO(make_pdf()), "q.pdf")])
    post_message(admin, application.id, "application", MessageInput.from_input({"body": "Thanks"}))
    _db.session.commit()

    rows = [row for row in outbox() if row.kind.startswith("conversations.")]
    assert {row.kind.split(".")[1] for row in rows} == KINDS
    for row in rows:
        subject, text, html = render_notification(row)
        assert subject and "http" in text and html, row.kind
        if row.recipient_id == owner.id:
            assert "Rita Reviewer" not in text + html, row.kind
        assert render_in_app(row)[0] == subject
    requested = next(row for row in rows if row.kind.endswith("requested") and row.recipient_id == owner.id)
    _subject, text, _html = render_notification(requested)
    assert f"/clarifications/{first.id}/answer" in text
    if locale == "en":
        assert "- Summary" in text and "- Budget lines" in text
