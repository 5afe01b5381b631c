"""after_commit / on_rollback: work that waits for its transaction, savepoints included."""

import logging

from cade.core.after_commit import after_commit, on_rollback
from cade.core.audit import AuditEvent
from cade.extensions import db as _db


def _write():
    """Something for the transaction to hold, so a commit or rollback is a real one."""
    _db.session.add(AuditEvent(verb="test.touch", object_type="Test"))
    _db.session.flush()


def test_after_commit_runs_once_the_transaction_commits_and_not_before(db):
    done = []
    _write()
    after_commit(lambda: done.append("sent"))
    on_rollback(lambda: done.append("undone"))
    assert done == []

    db.session.commit()
    db.session.commit()  # a later, empty transaction runs nothing again

    assert done == ["sent"]


def test_a_rollback_forgets_after_commit_and_runs_on_rollback(db):
    done = []
    _write()
    after_commit(lambda: done.append("sent"))
    on_rollback(lambda: done.append("undone"))

    db.session.rollback()
    db.session.commit()

    assert done == ["undone"]


def test_registering_with_no_transaction_open_belongs_to_the_next_one(db):
    done = []
    db.session.commit()
    after_commit(lambda: done.append("sent"))
    _write()
    db.session.commit()
    assert done == ["sent"]


def test_a_released_savepoint_waits_for_the_outer_commit(db):
    done = []
    _write()
    with db.session.begin_nested():
        after_commit(lambda: done.append("inner"))
        on_rollback(lambda: done.append("inner undone"))
    assert done == []  # releasing a savepoint is not a commit

    db.session.commit()

    assert done == ["inner"]


def test_a_released_savepoint_is_undone_when_the_outer_transaction_rolls_back(db):
    done = []
    _write()
    with db.session.begin_nested():
        after_commit(lambda: done.append("inner"))
        on_rollback(lambda: done.append("inner undone"))
    db.session.rollback()
    assert done == ["inner undone"]


def test_a_rolled_back_savepoint_drops_only_its_own_callbacks(db):
    done = []
    _write()
    after_commit(lambda: done.append("outer"))
    on_rollback(lambda: done.append("outer undone"))
    savepoint = db.session.begin_nested()
    after_commit(lambda: done.append("inner"))
    on_rollback(lambda: done.append("inner undone"))
    savepoint.rollback()
    assert done == ["inner undone"]

    db.session.commit()

    assert done == ["inner undone", "outer"]


def test_callbacks_run_in_registration_order(db):
    done = []
    _write()
    for name in "abc":
        after_commit(lambda name=name: done.append(name))
    with db.session.begin_nested():
        after_commit(lambda: done.append("d"))
    after_commit(lambda: done.append("e"))
    db.session.commit()
    assert done == ["a", "b", "c", "d", "e"]


def test_a_last_callback_runs_after_the_others_and_outlives_a_rolled_back_savepoint(db):
    done = []
    _write()
    savepoint = db.session.begin_nested()
    after_commit(lambda: done.append("last"), last=True)
    after_commit(lambda: done.append("dropped"))
    savepoint.rollback()
    after_commit(lambda: done.append("kept"))
    db.session.commit()
    assert done == ["kept", "last"]


def test_a_last_callback_is_dropped_when_the_whole_transaction_rolls_back(db):
    done = []
    _write()
    after_commit(lambda: done.append("last"), last=True)
    db.session.rollback()
    db.session.commit()
    assert done == []


def test_a_failing_callback_is_logged_and_the_others_still_run(db, caplog):
    done = []

    def broken():
        raise RuntimeError("broker down")

    _write()
    after_commit(lambda: done.append("first"))
    after_commit(broken)
    after_commit(lambda: done.append("last"))
    with caplog.at_level(logging.ERROR, logger="cade.core.after_commit"):
        db.session.commit()

    assert done == ["first", "last"]
    assert "broker down" in caplog.text
    assert db.session.query(AuditEvent).count() == 1  # the commit stands


def test_a_failing_rollback_callback_is_logged_and_the_others_still_run(db, caplog):
    done = []

    def broken():
        raise OSError("disk gone")

    _write()
    on_rollback(broken)
    on_rollback(lambda: done.append("undone"))
    with caplog.at_level(logging.ERROR, logger="cade.core.after_commit"):
        db.session.rollback()

    assert done == ["undone"]
    assert "disk gone" in caplog.text


def test_closing_the_session_without_committing_counts_as_a_rollback(db):
    done = []
    _write()
    after_commit(lambda: done.append("sent"))
    on_rollback(lambda: done.append("undone"))
    db.session.close()
    assert done == ["undone"]
