"""Background runs (cade/core/runs): start, claim, progress, finish, the sweep of silent workers, the page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

import tasks  # noqa: F401  (registers runs.sweep_stale)
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, InvalidTransition
from cade.core.runs import (
    ABANDONED,
    STALE,
    Run,
    RunKind,
    RunLost,
    RunStatus,
    claim_run,
    describe_error,
    fail_run,
    finish_run,
    latest_run,
    report_progress,
    start_run,
    sweep_stale_runs,
)
from cade.core.runs.kinds import KINDS
from cade.extensions import db as _db
from tests.factories import UserFactory

TASK = "tests.carry_out"


def _declare(name, **options):
    kind = RunKind(name=name, task=TASK, label="Test run", template="runs/_status.html", busy="One at a time.",
                   **options)
    return kind


@pytest.fixture()
def kind(db):
    declared = _declare("test")
    yield declared
    KINDS.pop("test", None)


@pytest.fixture()
def once_only(db):
    declared = _declare("test_once", retry=False)
    yield declared
    KINDS.pop("test_once", None)


@pytest.fixture()
def requester(db):
    return UserFactory(name="Rae Requester")


def reload(run) -> Run:
    return _db.session.get(Run, run.id, populate_existing=True)


def silent_for(app, run, extra=timedelta(minutes=1)):
    run.heartbeat_at = utcnow() - app.config["RUN_STALE_AFTER"] - extra
    _db.session.commit()


def claimed_then_silent(app, requester, kind_name="test"):
    """A run of `kind_name` that a worker claimed and then stopped reporting on."""
    run = start_run(requester, kind_name, {})
    claim_run(run)
    _db.session.commit()
    silent_for(app, run)
    return run


# --- starting -------------------------------------------------------------------------------------------


def test_a_run_is_handed_to_its_task_after_the_commit_and_not_before(db, kind, requester, broker):
    run = start_run(requester, "test", {"n": 1})
    assert (run.status, run.attempts, run.requested_by_id, run.params) == ("queued", 1, requester.id, {"n": 1})
    assert broker() == []

    db.session.commit()

    assert broker() == [(TASK, [run.id])]


def test_a_rolled_back_start_hands_out_nothing(db, kind, requester, broker):
    start_run(requester, "test", {})
    db.session.rollback()
    db.session.commit()
    assert broker() == [] and db.session.scalar(select(Run)) is None


def test_a_run_carried_out_in_the_request_is_not_handed_out(db, kind, requester, broker):
    run = start_run(requester, "test", {}, enqueue=False)
    db.session.commit()
    assert broker() == [] and run.attempts == 0


def test_one_run_at_a_time_per_scope(db, kind, requester):
    first = start_run(requester, "test", {}, scope="call:1")
    db.session.commit()
    with pytest.raises(AlreadyExists, match="One at a time."):
        start_run(requester, "test", {}, scope="call:1")
    db.session.rollback()
    start_run(requester, "test", {}, scope="call:2")
    start_run(requester, "test", {})  # no scope: runs may overlap
    db.session.commit()
    assert latest_run("test", "call:1").id == first.id


def test_a_silent_run_no_longer_blocks_its_scope(app, db, kind, requester):
    stuck = start_run(requester, "test", {}, scope="call:1")
    db.session.commit()
    silent_for(app, stuck)

    fresh = start_run(requester, "test", {}, scope="call:1")
    db.session.commit()

    assert (reload(stuck).status, reload(stuck).error) == (RunStatus.FAILED, ABANDONED)
    assert fresh.status == RunStatus.QUEUED


def test_a_refusing_broker_fails_the_run_at_once(app, db, kind, requester, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app.extensions["celery"], "send_task", refuse)
    run = start_run(requester, "test", {}, scope="call:1")
    db.session.commit()

    assert (reload(run).status, reload(run).error) == (RunStatus.FAILED, ABANDONED)
    moves = db.session.execute(select(AuditEvent.verb, AuditEvent.before, AuditEvent.after)
                               .where(AuditEvent.object_type == "Run", AuditEvent.object_id == run.id,
                                      AuditEvent.verb == "run.failed")).all()
    assert moves == [("run.failed", {"status": "queued"}, {"status": "failed"})]  # audited, as every move is
    start_run(requester, "test", {}, scope="call:1")  # the next may start
    db.session.commit()


# --- carrying out ---------------------------------------------------------------------------------------


def test_a_run_is_claimed_once_and_every_move_is_audited(db, kind, requester):
    run = start_run(requester, "test", {})
    db.session.commit()

    assert claim_run(run) is True
    assert claim_run(run) is False
    db.session.commit()
    assert run.status == RunStatus.RUNNING and run.started_at is not None

    finish_run(run, result={"rows": 3}, files=[{"stored_name": "ab12", "name": "report.xlsx"}])
    db.session.commit()
    run = reload(run)
    assert (run.status, run.progress, run.result, run.files[0]["name"]) == ("succeeded", 100, {"rows": 3},
                                                                            "report.xlsx")
    assert claim_run(run) is False
    verbs = db.session.scalars(select(AuditEvent.verb).where(AuditEvent.object_type == "Run")
                               .order_by(AuditEvent.id)).all()
    assert verbs == ["run.queued", "run.running", "run.succeeded"]


def test_progress_is_the_heartbeat_and_stays_below_100_until_the_end(db, kind, requester):
    run = start_run(requester, "test", {})
    claim_run(run)
    db.session.commit()
    before = run.heartbeat_at

    report_progress(run, 250, result={"done": 5})
    db.session.commit()

    run = reload(run)
    assert (run.progress, run.result) == (99, {"done": 5}) and run.heartbeat_at >= before


def test_a_worker_whose_run_was_taken_away_learns_it(db, kind, requester):
    run = start_run(requester, "test", {})
    claim_run(run)
    fail_run(run, "stopped by hand")
    db.session.commit()
    with pytest.raises(RunLost):
        report_progress(run, 10)
    with pytest.raises(InvalidTransition):
        finish_run(run)


def test_an_error_is_one_line_for_the_page():
    error = RuntimeError("planner exploded\nTraceback (most recent call last): ...")
    assert describe_error(error) == "RuntimeError: planner exploded"
    assert len(describe_error(ValueError("x" * 1000))) == 300


# --- the sweep ------------------------------------------------------------------------------------------


def test_a_silent_worker_gets_one_retry_then_the_run_fails(app, db, kind, requester, broker):
    run = start_run(requester, "test", {})
    claim_run(run)
    report_progress(run, 40)
    db.session.commit()
    broker()
    silent_for(app, run)

    assert sweep_stale_runs() == 1
    assert broker() == []  # handed out on commit only
    db.session.commit()
    run = reload(run)
    assert (run.status, run.attempts, run.progress) == ("queued", 2, 0)
    assert broker() == [(TASK, [run.id])]

    claim_run(run)  # the second worker dies too
    db.session.commit()
    silent_for(app, run)
    assert sweep_stale_runs() == 1
    db.session.commit()
    run = reload(run)
    assert (run.status, run.error) == ("failed", STALE) and run.finished_at is not None
    assert broker() == []


def test_a_run_no_worker_took_is_handed_out_once_more(app, db, kind, requester, broker):
    run = start_run(requester, "test", {})
    db.session.commit()
    broker()
    silent_for(app, run)

    sweep_stale_runs()
    db.session.commit()

    assert (reload(run).status, reload(run).attempts) == ("queued", 2)
    assert broker() == [(TASK, [run.id])]


def test_a_kind_that_must_not_run_twice_fails_at_once(app, db, once_only, requester, broker):
    run = claimed_then_silent(app, requester, "test_once")

    sweep_stale_runs()
    db.session.commit()

    assert (reload(run).status, reload(run).error) == ("failed", STALE)


def test_the_sweep_leaves_live_and_finished_runs_alone(app, db, kind, requester):
    live = start_run(requester, "test", {})
    claim_run(live)
    done = start_run(requester, "test", {})
    claim_run(done)
    finish_run(done)
    db.session.commit()
    done.heartbeat_at = utcnow() - timedelta(days=1)
    db.session.commit()

    assert sweep_stale_runs() == 0
    assert sweep_stale_runs(now=utcnow() + timedelta(minutes=1)) == 0
    assert reload(live).status == "running" and reload(done).status == "succeeded"


def test_the_sweep_task_commits_what_it_did(app, db, kind, requester, broker):
    run = claimed_then_silent(app, requester)
    broker()

    assert app.extensions["celery"].tasks["runs.sweep_stale"].apply().get() == 1

    assert reload(run).status == "queued" and broker() == [(TASK, [run.id])]


# --- the page -------------------------------------------------------------------------------------------


def test_the_page_is_for_the_requester_and_admins(client, login, kind, requester, admin):
    run = start_run(requester, "test", {}, enqueue=False)
    _db.session.commit()
    pages = [f"/runs/{run.id}", f"/runs/{run.id}.json"]

    for path in pages:
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(UserFactory())
    assert [client.get(path).status_code for path in pages] == [404, 404]
    assert client.get(f"/runs/{run.id + 1000}").status_code == 404
    for who in (requester, admin):
        login(who)
        assert [client.get(path).status_code for path in pages] == [200, 200]


def test_the_page_refreshes_itself_only_while_the_run_is_under_way(client, login, kind, requester):
    run = start_run(requester, "test", {}, enqueue=False)
    claim_run(run)
    report_progress(run, 42)
    _db.session.commit()
    login(requester)

    page = client.get(f"/runs/{run.id}").text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'value="42"' in page and "Running" in page
    assert client.get(f"/runs/{run.id}.json").json["progress"] == 42

    fail_run(run, STALE)
    _db.session.commit()
    page = client.get(f"/runs/{run.id}").text
    assert "http-equiv" not in page and "data-run-poll" not in page and "<progress" not in page
    assert "The run stopped answering and was given up" in page
    assert client.get(f"/runs/{run.id}.json").json["active"] is False
