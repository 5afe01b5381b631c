"""The planner's shortcut: solve over each application's best matches, keep the answer only when proved optimal."""

import random

import numpy as np
import pytest
from hypothesis import given, settings

from cade.reviews import planner
from cade.reviews.planner import MAX_BONUS, PlanApplication, PlanReviewer, match_bonus, plan_assignments
from tests.reviews.test_planner import calls
from tests.reviews.test_planner_scale import a_call


def objective(applications, reviewers, plan):
    """What the plan optimises, in order: slots covered, evenness (minus the sum of squared loads), match."""
    apps, pool = {a.id: a for a in applications}, {r.id: r for r in reviewers}
    return (len(plan.pairs), -sum(load * load for load in plan.loads.values()),
            sum(match_bonus(apps[a], pool[r]) for a, r in plan.pairs))


@settings(max_examples=150, deadline=None)
@given(calls(max_applications=10, max_reviewers=7))
def test_with_one_or_two_candidates_the_plan_is_as_good_as_over_every_pair(call):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planner, "CANDIDATES", 50)
        best = objective(call[0], call[1], plan_assignments(*call))
        for few in (1, 2):
            patch.setattr(planner, "CANDIDATES", few)
            plan = plan_assignments(*call)
            assert objective(call[0], call[1], plan) == best
            assert not set(plan.pairs) & call[3]


def network_of(apps, pool, required, conflicts):
    apps, pool = sorted(apps, key=lambda a: a.id), sorted(pool, key=lambda r: r.id)
    missing = np.array([max(0, required - len(app.assigned)) for app in apps], dtype=np.int64)
    usable = planner._open_pairs(apps, pool, conflicts) & (missing > 0)[:, None]
    network = planner._Network(missing, np.array([r.load for r in pool], dtype=np.int64),
                               np.array([r.max_load for r in pool], dtype=np.int64),
                               MAX_BONUS - planner._bonuses(apps, pool), usable)
    return network, apps, pool


def score(network, chosen):
    final = network.loads + chosen.sum(axis=0)
    return int(chosen.sum()), -int((final ** 2).sum()), int(((MAX_BONUS - network.cost) * chosen).sum())


def test_the_proof_accepts_exactly_the_plans_as_good_as_the_best(monkeypatch):
    accepted = rejected = 0
    for seed in range(25):
        rng = random.Random(seed)
        call = a_call(seed, rng.randint(20, 90), rng.randint(5, 30), slack=rng.choice([0.8, 1.0, 1.3, 2.0]),
                      required=rng.randint(1, 4))
        network, apps, pool = network_of(*call)
        best = network.solve(network.usable)
        assert network.is_optimal(best)
        for few in (1, 2, 4):
            monkeypatch.setattr(planner, "CANDIDATES", few)
            chosen = network.solve(planner._candidates(apps, pool, network))
            proved = network.is_optimal(chosen)
            assert proved == (score(network, chosen) == score(network, best))
            accepted, rejected = accepted + proved, rejected + (not proved)
    assert accepted and rejected  # both answers were put to the test


def _app(app_id, languages=()):
    return PlanApplication(app_id, frozenset(languages), frozenset(), "002", frozenset())


def _reviewer(reviewer_id, languages=(), max_load=5, load=0):
    return PlanReviewer(reviewer_id, frozenset(languages), frozenset(), frozenset(), max_load, load)


def chosen_of(network, apps, pool, pairs):
    chosen = np.zeros(network.usable.shape, dtype=bool)
    index = {app.id: a for a, app in enumerate(apps)}, {reviewer.id: r for r, reviewer in enumerate(pool)}
    for app_id, reviewer_id in pairs:
        chosen[index[0][app_id], index[1][reviewer_id]] = True
    return chosen


@pytest.mark.parametrize(("pairs", "optimal"), [
    ([(1, 10), (2, 20)], True),
    ([(1, 10)], False),  # application 2 could still have reviewer 20: a slot left that could be covered
    ([(1, 10), (2, 10)], False),  # reviewer 10 holds both while 20 has none: uneven
    ([(1, 20), (2, 10)], False),  # as even, but application 1 reads French and only reviewer 10 does
])
def test_the_proof_refuses_a_slot_left_uneven_loads_and_a_worse_match(pairs, optimal):
    network, apps, pool = network_of([_app(1, ["fr"]), _app(2)], [_reviewer(10, ["fr"]), _reviewer(20)], 1, set())
    assert network.is_optimal(chosen_of(network, apps, pool, pairs)) is optimal


def test_a_reviewer_over_a_lowered_limit_gives_the_proof_no_way_out():
    # Reviewer 10 is past their maximum already: giving application 1 to reviewer 20 is the only plan.
    network, apps, pool = network_of([_app(1, ["fr"])], [_reviewer(10, ["fr"], max_load=1, load=2), _reviewer(20)],
                                     1, set())
    assert network.is_optimal(chosen_of(network, apps, pool, [(1, 20)]))
