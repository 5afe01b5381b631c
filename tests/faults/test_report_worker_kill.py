"""(e) A worker killed (kill -9, with its pool children) in the middle of two background runs.

After a new worker starts and the stale sweep runs (as beat runs it; RUN_STALE_AFTER is 3 s here, 15
minutes in production), the run handed out once is handed out again and finishes; the run already on
its last attempt is marked failed, and its page says why. The runs are of a kind that is slow on
purpose (tests/faults/slow_run.py) and goes through the same claim, heartbeat and finish as a report
compile. Prints the time to recover (pytest -s).
"""

import html
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from cade.core.runs import RUN_ERROR_LABELS, STALE, Run, RunStatus, start_run
from cade.core.runs.kinds import KINDS
from cade.core.runs.services import MAX_ATTEMPTS
from tests.factories import UserFactory
from tests.faults import slow_run
from tests.faults.harness import periodic, services_only, wait_until

pytestmark = services_only

STALE_SECONDS = 3


@pytest.fixture()
def slow_kind(app, monkeypatch):
    monkeypatch.setitem(app.config, "RUN_STALE_AFTER", timedelta(seconds=STALE_SECONDS))
    yield slow_run.declare()
    KINDS.pop(slow_run.KIND, None)


def _runs(db) -> dict[int, object]:
    with db.engine.connect() as connection:
        return {row.id: row for row in connection.execute(select(Run.__table__))}


def test_runs_whose_worker_was_killed_are_retried_or_failed_with_a_reason(db, slow_kind, workers, beat, client,
                                                                         login):
    worker = workers()
    worker.start()
    admin = UserFactory(roles=["admin"])
    params = {"steps": 40, "delay": 0.1}  # four seconds a run, a heartbeat every tenth of a second
    retried = start_run(admin, slow_run.KIND, params)
    last_chance = start_run(admin, slow_run.KIND, params)
    last_chance.attempts = MAX_ATTEMPTS  # as a run stands that the sweep already handed out once more
    db.session.commit()  # both go to the worker now; each pool child takes one

    def both_under_way():
        runs = _runs(db)
        return all(runs[i].status == RunStatus.RUNNING and runs[i].progress >= 10
                   for i in (retried.id, last_chance.id))

    wait_until(both_under_way, "both runs under way", timeout=60, interval=0.05, on_timeout=worker.log_tail)
    worker.kill9()
    killed = time.monotonic()
    progress_at_kill = {i: _runs(db)[i].progress for i in (retried.id, last_chance.id)}
    worker.start()
    sweep = periodic(lambda: beat("runs.sweep_stale"), 1)

    def settled():
        sweep()
        runs = _runs(db)
        return runs[retried.id].status == RunStatus.SUCCEEDED and runs[last_chance.id].status == RunStatus.FAILED

    wait_until(settled, "the runs retried or failed", timeout=60, interval=0.1, on_timeout=worker.log_tail)
    recovered = time.monotonic() - killed

    runs = _runs(db)
    print(f"\n[faults e] worker killed with runs at {progress_at_kill[retried.id]}% and "
          f"{progress_at_kill[last_chance.id]}%; the first finished on its second attempt, the second was marked "
          f"failed ({runs[last_chance.id].error}), {recovered:.1f}s after the kill (stale after {STALE_SECONDS}s)")
    assert (runs[retried.id].attempts, runs[retried.id].progress, runs[retried.id].result) == (2, 100, {"steps": 40})
    assert (runs[last_chance.id].error, runs[last_chance.id].attempts) == (STALE, MAX_ATTEMPTS)

    login(admin)
    page = html.unescape(client.get(f"/runs/{last_chance.id}").get_data(as_text=True))
    assert str(RUN_ERROR_LABELS[STALE]) in page
