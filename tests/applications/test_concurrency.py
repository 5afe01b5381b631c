"""Requests that race on one application: submissions, uploads, a save during a submission.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL
when TEST_DATABASE_URL points at one); both must pass.
"""

import io
import threading

from sqlalchemy import event, func, select

from cade.accounts.models import User
from cade.applications import services
from cade.applications.models import Application, Attachment
from cade.extensions import db as _db
from cade.notifications.models import Notification
from tests.applications.files import make_pdf
from tests.concurrency import run_side_by_side
from tests.factories import MembershipFactory


def _submit(user_id, application_id):
    def action():
        services.submit_application(_db.session.get(User, user_id), application_id)
    return action


def _results(outcomes) -> list[str]:
    """run_side_by_side's outcomes as sorted words: "done", or the refusal's class name."""
    return sorted("done" if outcome == "done" else type(outcome).__name__ for outcome in outcomes)


def test_simultaneous_submissions_give_exactly_one_reference(app, draft, member, organisation):
    MembershipFactory(organisation=organisation, role="member")
    user_id, application_id = member.id, draft.id
    _db.session.commit()

    # Both requests read the draft before either goes on.
    outcomes = run_side_by_side(app, [_submit(user_id, application_id)] * 2, pause_after="from applications")

    assert _results(outcomes) == ["AlreadySubmitted", "done"]
    _db.session.expire_all()
    application = _db.session.get(Application, application_id)
    assert application.reference == "CN-2026-0001"
    assert application.call.last_reference_number == 1
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_two_members_submitting_at_once_give_one_reference_and_one_receipt_each(app, draft, member,
                                                                                  organisation):
    colleague = MembershipFactory(organisation=organisation, role="member").user
    user_ids, application_id = [member.id, colleague.id], draft.id
    _db.session.commit()

    outcomes = run_side_by_side(app, [_submit(user_id, application_id) for user_id in user_ids],
                                pause_after="from applications")

    assert _results(outcomes) == ["AlreadySubmitted", "done"]
    _db.session.expire_all()
    assert _db.session.get(Application, application_id).reference == "CN-2026-0001"
    receipts = _db.session.scalars(select(Notification.recipient_id)).all()
    assert sorted(receipts) == sorted(user_ids)


def test_two_uploads_at_once_cannot_pass_the_per_application_limit_together(app, draft, member, storage_path,
                                                                             monkeypatch):
    # Each file fits alone; both together are over the limit.
    pdf = make_pdf() + b"%" * 4000
    monkeypatch.setitem(app.config, "APPLICATION_ATTACHMENTS_MAX_BYTES", len(pdf) + len(pdf) // 2)
    user_id, application_id = member.id, draft.id
    _db.session.commit()
    files_before = {p for p in storage_path.rglob("*") if p.is_file()}

    def upload():
        services.add_attachment(_db.session.get(User, user_id), application_id, io.BytesIO(pdf), "part.pdf")

    outcomes = run_side_by_side(app, [upload] * 4, pause_after="from applications")

    assert _results(outcomes) == ["UploadRejected", "UploadRejected", "UploadRejected", "done"]
    total = _db.session.scalar(select(func.sum(Attachment.size)).where(Attachment.application_id == application_id))
    assert total == len(pdf)
    added = {p for p in storage_path.rglob("*") if p.is_file()} - files_before
    assert len(added) == 1  # the refused files were not kept


def test_a_save_during_a_submission_waits_and_cannot_change_what_was_checked(app, draft, member, organisation):
    """A colleague's save that lands between the completeness check and the status change
    must not turn a checked, complete draft into a submitted, incomplete one."""
    colleague = MembershipFactory(organisation=organisation, role="member").user
    member_id, colleague_id, application_id = member.id, colleague.id, draft.id
    _db.session.commit()
    submitter_paused, saver_done = threading.Event(), threading.Event()
    results: dict[str, str] = {}

    def pause_before_the_status_change(conn, cursor, statement, parameters, context, executemany):
        if (threading.current_thread().name == "submitter"
                and statement.lstrip().upper().startswith("UPDATE APPLICATIONS SET STATUS")):
            submitter_paused.set()
            saver_done.wait(timeout=1.5)  # the saver is blocked by the row lock, or has finished

    def submitter():
        with app.app_context():
            try:
                services.submit_application(_db.session.get(User, member_id), application_id)
                _db.session.commit()
                results["submitter"] = "submitted"
            except Exception as error:
                _db.session.rollback()
                results["submitter"] = repr(error)
            finally:
                _db.session.remove()

    def saver():
        with app.app_context():
            try:
                submitter_paused.wait(timeout=10)
                lines = [{"category": "equipment", "description": "Half of it", "amount": "5000"}]
                services.save_draft(_db.session.get(User, colleague_id), application_id,
                                    services.DraftInput.from_input({"budget_lines": lines}, currency="USD"))
                _db.session.commit()
                results["saver"] = "saved"
            except services.NotADraft:
                _db.session.rollback()
                results["saver"] = "refused"
            except Exception as error:
                _db.session.rollback()
                results["saver"] = repr(error)
            finally:
                saver_done.set()
                _db.session.remove()

    event.listen(_db.engine, "before_cursor_execute", pause_before_the_status_change)
    try:
        threads = [threading.Thread(target=submitter, name="submitter"), threading.Thread(target=saver)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(_db.engine, "before_cursor_execute", pause_before_the_status_change)

    assert results == {"submitter": "submitted", "saver": "refused"}
    _db.session.expire_all()
    application = _db.session.get(Application, application_id)
    assert application.status == "submitted"
    assert sum(line.amount_minor for line in application.budget_lines) == application.requested_amount_minor
