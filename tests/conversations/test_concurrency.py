"""Two staff asking at once, and a double click on "send my answer", on separate connections."""

from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.services import DraftInput
from cade.conversations.answers import ResponseInput, answer_clarification, save_answer
from cade.conversations.clarifications import ClarificationInput, request_clarification
from cade.conversations.models import ClarificationRequest, Message
from cade.extensions import db as _db
from tests.concurrency import run_side_by_side
from tests.conversations.conftest import ask, tomorrow
from tests.factories import UserFactory


def _results(outcomes) -> list[str]:
    return sorted("done" if outcome == "done" else type(outcome).__name__ for outcome in outcomes)


def test_two_admins_asking_at_once_open_one_request_and_the_other_is_told(app, application, admin):
    other = UserFactory(roles=["admin"])
    admin_ids, application_id = [admin.id, other.id], application.id
    due = tomorrow().isoformat()

    def asking(user_id, field):
        def action():
            command = ClarificationInput.from_input({"fields": [field], "message": "Why?", "due_on": due})
            request_clarification(_db.session.get(User, user_id), application_id, command)
        return action

    outcomes = run_side_by_side(app, [asking(admin_ids[0], "title"), asking(admin_ids[1], "summary")],
                                pause_after="from applications")
    assert _results(outcomes) == ["ClarificationOpen", "done"]
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(ClarificationRequest)) == 1
    assert _db.session.get(Application, application_id).status == ApplicationStatus.INFO_REQUESTED


def test_a_double_click_on_send_sends_one_answer(app, application, admin, owner):
    clarification = ask(admin, application)
    save_answer(owner, clarification.id, DraftInput.from_input({}, currency="USD"),
                ResponseInput.from_input({"response": "Here it is."}))
    _db.session.commit()
    owner_id, clarification_id = owner.id, clarification.id

    def send():
        answer_clarification(_db.session.get(User, owner_id), clarification_id)

    outcomes = run_side_by_side(app, [send, send], pause_after="from clarification_requests")
    assert _results(outcomes) == ["AlreadyAnswered", "done"]
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(Message).where(Message.side == "organisation")) == 1
