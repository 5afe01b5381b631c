"""Two submissions of one application at the same moment give one reference.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL
when TEST_DATABASE_URL points at one); both must pass.
"""

import threading

from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications import services
from cade.applications.models import Application
from cade.extensions import db as _db
from cade.notifications.models import Notification
from tests.factories import MembershipFactory


def _submit_in_thread(app, user_id, application_id, barrier, results):
    with app.app_context(), app.test_request_context():
        try:
            user = _db.session.get(User, user_id)
            _db.session.get(Application, application_id)  # both requests have read the draft
            barrier.wait(timeout=10)
            services.submit_application(user, application_id)
            _db.session.commit()
            results.append("submitted")
        except services.AlreadySubmitted:
            _db.session.rollback()
            results.append("already submitted")
        except Exception as error:  # reported by the assertion below
            _db.session.rollback()
            results.append(repr(error))
        finally:
            _db.session.remove()


def test_simultaneous_submissions_give_exactly_one_reference(app, draft, member, organisation):
    MembershipFactory(organisation=organisation, role="member")
    user_id, application_id = member.id, draft.id
    _db.session.commit()
    barrier = threading.Barrier(2)
    results: list[str] = []
    threads = [threading.Thread(target=_submit_in_thread, args=(app, user_id, application_id, barrier, results))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["already submitted", "submitted"]
    _db.session.expire_all()
    application = _db.session.get(Application, application_id)
    assert application.reference == "CN-2026-0001"
    assert application.call.last_reference_number == 1
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 2
