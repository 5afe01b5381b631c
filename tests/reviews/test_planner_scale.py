"""The planner on calls too large for brute force: exact by independent checks, fast, and its limits."""

import random
from collections import Counter

import pytest

from cade.reviews.planner import PlanApplication, PlanReviewer, match_bonus, plan_assignments

LANGUAGES = ["en", "fr", "es", "pt", "ar", "sw"]
TOPICS = [f"topic{i}" for i in range(10)]
REGIONS = ["002", "009", "019", "142", "150"]


def a_call(seed: int, n_apps: int, n_reviewers: int, slack: float = 1.05, required: int = 3):
    """Applications, reviewers with uneven caps adding up to `slack` times the slots, and scattered conflicts."""
    rng = random.Random(seed)
    apps = [PlanApplication(i, frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
                            frozenset(rng.sample(TOPICS, rng.randint(1, 3))), rng.choice(REGIONS),
                            frozenset([1000 + rng.randrange(n_reviewers)]) if rng.random() < 0.05 else frozenset())
            for i in range(n_apps)]
    weights = [rng.uniform(0.5, 1.5) for _ in range(n_reviewers)]
    capacity = n_apps * required * slack
    pool = [PlanReviewer(1000 + j, frozenset(rng.sample(LANGUAGES, rng.randint(1, 3))),
                         frozenset(rng.sample(TOPICS, rng.randint(2, 4))), frozenset(rng.sample(REGIONS, 2)),
                         max_load=max(1, int(capacity * weight / sum(weights))), load=rng.randint(0, 2))
            for j, weight in enumerate(weights)]
    conflicts = {(rng.randrange(n_apps), 1000 + rng.randrange(n_reviewers)) for _ in range(n_apps // 3)}
    return apps, pool, required, conflicts


def max_coverage(apps, pool, required, conflicts) -> int:
    """Independent bound: augmenting paths by depth-first search, one unit at a time, no costs."""
    room = {r.id: max(0, r.max_load - r.load) for r in pool}
    holder: dict[int, list[int]] = {r.id: [] for r in pool}  # reviewer -> applications given
    given: dict[int, set[int]] = {a.id: set() for a in apps}
    usable = {a.id: [r.id for r in pool if (a.id, r.id) not in conflicts and r.id not in a.assigned] for a in apps}

    def augment(app_id, seen):
        for reviewer_id in usable[app_id]:
            if reviewer_id in seen or reviewer_id in given[app_id]:
                continue
            seen.add(reviewer_id)
            if len(holder[reviewer_id]) < room[reviewer_id]:
                holder[reviewer_id].append(app_id)
                given[app_id].add(reviewer_id)
                return True
            for other in holder[reviewer_id]:
                if augment(other, seen):  # `other` moves to someone else, freeing a place with reviewer_id
                    holder[reviewer_id].remove(other)
                    given[other].discard(reviewer_id)
                    holder[reviewer_id].append(app_id)
                    given[app_id].add(reviewer_id)
                    return True
        return False

    return sum(augment(app.id, set()) for app in apps for _ in range(max(0, required - len(app.assigned))))


@pytest.fixture(scope="module", params=[0.9, 1.3], ids=["short", "roomy"])
def middling(request):
    """Short of capacity (coverage is decided, not given) or with room to spare (evenness is)."""
    call = a_call(18, 150, 12, slack=request.param)
    return call, plan_assignments(*call)


def test_a_middling_call_breaks_no_rule(middling):
    (apps, pool, required, conflicts), plan = middling
    by_app = Counter(app_id for app_id, _ in plan.pairs)
    by_reviewer = Counter(reviewer_id for _, reviewer_id in plan.pairs)
    assert not set(plan.pairs) & conflicts
    assert all(not (r_id in app.assigned) for app in apps for a_id, r_id in plan.pairs if a_id == app.id)
    assert all(len(app.assigned) + by_app[app.id] <= max(required, len(app.assigned)) for app in apps)
    assert all(by_reviewer[r.id] == 0 or r.load + by_reviewer[r.id] <= r.max_load for r in pool)


def test_a_middling_call_covers_as_many_slots_as_any_plan(middling):
    call, plan = middling
    assert len(plan.pairs) == max_coverage(*call)


def test_no_move_or_exchange_would_even_out_loads_or_match_better(middling):
    (apps, pool, _, conflicts), plan = middling
    apps_by_id, reviewers_by_id = {a.id: a for a in apps}, {r.id: r for r in pool}
    given = {a.id: {r_id for a_id, r_id in plan.pairs if a_id == a.id} for a in apps}

    def may_take(app_id, reviewer_id):
        return ((app_id, reviewer_id) not in conflicts and reviewer_id not in apps_by_id[app_id].assigned
                and reviewer_id not in given[app_id])

    for app_id, reviewer_id in plan.pairs:
        app = apps_by_id[app_id]
        for other in pool:
            if may_take(app_id, other.id) and plan.loads[other.id] < other.max_load:
                gap = plan.loads[reviewer_id] - plan.loads[other.id]
                assert gap <= 1
                assert gap < 1 or match_bonus(app, other) <= match_bonus(app, reviewers_by_id[reviewer_id])
    # Two applications trading reviewers leaves the loads as they are: it must not improve the matches.
    for (a, r), (b, s) in ((x, y) for x in plan.pairs for y in plan.pairs if x[0] < y[0] and x[1] != y[1]):
        if may_take(a, s) and may_take(b, r):
            now = match_bonus(apps_by_id[a], reviewers_by_id[r]) + match_bonus(apps_by_id[b], reviewers_by_id[s])
            swapped = match_bonus(apps_by_id[a], reviewers_by_id[s]) + match_bonus(apps_by_id[b], reviewers_by_id[r])
            assert swapped <= now


def test_a_large_call_comes_out_the_same_in_any_order():
    apps, pool, required, conflicts = a_call(7, 600, 30)
    rng = random.Random(1)
    shuffled_apps, shuffled_pool = apps[:], pool[:]
    rng.shuffle(shuffled_apps)
    rng.shuffle(shuffled_pool)
    assert plan_assignments(shuffled_apps, shuffled_pool, required, conflicts) == plan_assignments(
        apps, pool, required, conflicts)


def test_three_thousand_applications_and_ninety_reviewers_are_all_covered():
    # How long it takes is bench/assignment.py's to measure (make bench-assign), not a test's.
    call = a_call(3, 3000, 90)
    plan = plan_assignments(*call)
    assert len(plan.pairs) == 9000 - sum(len(app.assigned) for app in call[0]) and not plan.uncovered


def test_loads_too_large_to_cost_are_refused_and_large_ones_are_planned():
    apps = [PlanApplication(i, frozenset(), frozenset(), "002", frozenset()) for i in range(3)]

    def pool(load):
        return [PlanReviewer(1, frozenset(), frozenset(), frozenset(), max_load=load + 5, load=load),
                PlanReviewer(2, frozenset(), frozenset(), frozenset(), max_load=5, load=0)]

    plan = plan_assignments(apps, pool(10**6), 1, set())
    assert plan.loads == {1: 10**6, 2: 3}
    with pytest.raises(ValueError, match="too large"):
        plan_assignments(apps, pool(10**17), 1, set())
