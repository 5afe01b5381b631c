"""The reviewer-assignment planner: hard rules, maximal coverage, even loads, best matches, stable output."""

import itertools
import math
from collections import defaultdict, deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cade.reviews.planner import (
    ALL_CONFLICTED,
    CAPACITY,
    NO_REVIEWERS,
    PlanApplication,
    PlanReviewer,
    match_bonus,
    plan_assignments,
)

LANGUAGES = ["en", "fr", "es"]
TOPICS = ["water", "health", "land"]
REGIONS = ["002", "019", "142"]
LEFT_THE_POOL = 999  # a reviewer assigned earlier who is no longer in the pool: still counts for the application

moderate = settings(max_examples=150, deadline=None)


def _subset(choices):
    # One draw per set, read as a bit mask: keeps generation cheap.
    return st.integers(0, 2 ** len(choices) - 1).map(
        lambda mask: frozenset(choice for bit, choice in enumerate(choices) if mask >> bit & 1))


@st.composite
def calls(draw, max_applications=8, max_reviewers=6, max_load=5, existing=True, with_conflicts=True):
    """A call as the planner sees it: (applications, reviewers, required, conflicts)."""
    app_ids = draw(st.lists(st.integers(1, 500), unique=True, max_size=max_applications))
    reviewer_ids = draw(st.lists(st.integers(1, 500), unique=True, max_size=max_reviewers))
    required = draw(st.integers(1, 4))
    earlier = reviewer_ids + [LEFT_THE_POOL]
    reviewers = [
        PlanReviewer(
            id=reviewer_id,
            languages=draw(_subset(LANGUAGES)),
            expertise=draw(_subset(TOPICS)),
            regions=draw(_subset(REGIONS)),
            max_load=draw(st.integers(0, max_load)),
            # Sometimes above max_load: the limit was lowered after assignments were made.
            load=draw(st.integers(0, 3)) if existing else 0,
        )
        for reviewer_id in reviewer_ids
    ]
    applications = [
        PlanApplication(
            id=app_id,
            languages=draw(_subset(LANGUAGES)),
            topics=draw(_subset(TOPICS)),
            region=draw(st.sampled_from(REGIONS)),
            assigned=draw(_subset(earlier)) if existing and draw(st.booleans()) else frozenset(),
        )
        for app_id in app_ids
    ]
    conflicts = set()
    if with_conflicts and app_ids and reviewer_ids:
        conflicts = draw(st.sets(st.tuples(st.sampled_from(app_ids), st.sampled_from(reviewer_ids))))
    return applications, reviewers, required, conflicts


def _planned(call):
    """The plan for a generated call, and the new reviewers it gives each application."""
    plan = plan_assignments(*call)
    return plan, _new_reviewers(plan)


def _new_reviewers(plan):
    given_to = {}
    for app_id, reviewer_id in plan.pairs:
        given_to.setdefault(app_id, set()).add(reviewer_id)
    return given_to


def _could_take(app, reviewer, conflicts, given_to):
    """The reviewer has no conflict and is not yet assigned to the application, before or by the plan."""
    return ((app.id, reviewer.id) not in conflicts and reviewer.id not in app.assigned
            and reviewer.id not in given_to.get(app.id, ()))


def _missing(app, required):
    return max(0, required - len(app.assigned))


def _score(applications, reviewers, given_to):
    """What the plan optimises, in order: slots covered, evenness (minus the sum of squared loads), match."""
    by_id = {app.id: app for app in applications}
    loads = {reviewer.id: reviewer.load for reviewer in reviewers}
    covered = bonus = 0
    for app_id, reviewer_ids in given_to.items():
        for reviewer in reviewers:
            if reviewer.id in reviewer_ids:
                covered += 1
                loads[reviewer.id] += 1
                bonus += match_bonus(by_id[app_id], reviewer)
    return covered, -sum(load * load for load in loads.values()), bonus


def _max_coverage(applications, reviewers, required, conflicts):
    """Independent bound: textbook Edmonds-Karp max flow, unit augmentations, no costs."""
    capacity = defaultdict(lambda: defaultdict(int))
    for app in applications:
        capacity["source"][("app", app.id)] = _missing(app, required)
        for reviewer in reviewers:
            if (app.id, reviewer.id) not in conflicts and reviewer.id not in app.assigned:
                capacity[("app", app.id)][("reviewer", reviewer.id)] = 1
    for reviewer in reviewers:
        capacity[("reviewer", reviewer.id)]["sink"] = max(0, reviewer.max_load - reviewer.load)
    flow = 0
    while True:
        parent = {"source": None}
        queue = deque(["source"])
        while queue and "sink" not in parent:
            node = queue.popleft()
            for target, left in list(capacity[node].items()):
                if left > 0 and target not in parent:
                    parent[target] = node
                    queue.append(target)
        if "sink" not in parent:
            return flow
        node = "sink"
        while parent[node] is not None:
            capacity[parent[node]][node] -= 1
            capacity[node][parent[node]] += 1
            node = parent[node]
        flow += 1


# Hard rules and bookkeeping, on every generated call.


@moderate
@given(calls())
def test_plan_respects_every_hard_rule(call):
    applications, reviewers, required, conflicts = call
    plan, given_to = _planned(call)

    assert plan.pairs == sorted(set(plan.pairs)), "pairs are sorted and never repeated"
    assert not set(plan.pairs) & conflicts
    for app in applications:
        new = given_to.get(app.id, set())
        assert not new & app.assigned, "an already assigned reviewer is not assigned again"
        assert len(app.assigned) + len(new) <= max(required, len(app.assigned))
        missing = _missing(app, required) - len(new)
        if missing:
            assert plan.uncovered[app.id][1] == missing
        else:
            assert app.id not in plan.uncovered
    assert set(plan.uncovered) <= {app.id for app in applications}
    for reviewer in reviewers:
        new_load = sum(1 for _, reviewer_id in plan.pairs if reviewer_id == reviewer.id)
        assert plan.loads[reviewer.id] == reviewer.load + new_load
        assert new_load == 0 or plan.loads[reviewer.id] <= reviewer.max_load
    assert set(plan.loads) == {reviewer.id for reviewer in reviewers}
    assert {reviewer_id for _, reviewer_id in plan.pairs} <= set(plan.loads)


@moderate
@given(calls())
def test_every_uncovered_application_says_why(call):
    applications, reviewers, required, conflicts = call
    plan, given_to = _planned(call)
    by_id = {app.id: app for app in applications}

    for app_id, (reason, _) in plan.uncovered.items():
        left = [r for r in reviewers if _could_take(by_id[app_id], r, conflicts, given_to)]
        if not reviewers:
            assert reason == NO_REVIEWERS
        elif left:
            assert reason == CAPACITY
            assert all(plan.loads[r.id] >= r.max_load for r in left), "a reviewer with room was left unused"
        else:
            assert reason == ALL_CONFLICTED


# Optimality: coverage first, then even loads, then matches.


@moderate
@given(calls(max_applications=10, max_reviewers=7))
def test_no_plan_covers_more_slots(call):
    applications, reviewers, required, conflicts = call
    plan = plan_assignments(applications, reviewers, required, conflicts)
    assert len(plan.pairs) == _max_coverage(applications, reviewers, required, conflicts)


@settings(max_examples=120, deadline=None)
@given(calls(max_applications=3, max_reviewers=3, max_load=3))
def test_tiny_calls_get_the_best_plan_found_by_brute_force(call):
    applications, reviewers, required, conflicts = call
    plan = plan_assignments(applications, reviewers, required, conflicts)

    room = {reviewer.id: max(0, reviewer.max_load - reviewer.load) for reviewer in reviewers}
    options = []
    for app in applications:
        usable = [r.id for r in reviewers if (app.id, r.id) not in conflicts and r.id not in app.assigned]
        options.append([
            set(chosen)
            for size in range(min(_missing(app, required), len(usable)) + 1)
            for chosen in itertools.combinations(usable, size)
        ])
    best = None
    for choice in itertools.product(*options):
        used = [reviewer_id for chosen in choice for reviewer_id in chosen]
        if any(used.count(reviewer_id) > room[reviewer_id] for reviewer_id in set(used)):
            continue
        score = _score(applications, reviewers, {app.id: chosen for app, chosen in zip(applications, choice)})
        best = score if best is None else max(best, score)

    assert _score(applications, reviewers, _new_reviewers(plan)) == best


@moderate
@given(calls(max_applications=10, max_reviewers=7))
def test_no_single_move_would_even_out_loads_or_match_better(call):
    applications, reviewers, required, conflicts = call
    plan, given_to = _planned(call)
    by_id = {app.id: app for app in applications}
    reviewer_by_id = {reviewer.id: reviewer for reviewer in reviewers}

    for app_id, reviewer_id in plan.pairs:
        app, current = by_id[app_id], reviewer_by_id[reviewer_id]
        for other in reviewers:
            if not _could_take(app, other, conflicts, given_to) or plan.loads[other.id] >= other.max_load:
                continue
            gap = plan.loads[current.id] - plan.loads[other.id]
            assert gap <= 1, "moving the application to a less loaded reviewer would even out loads"
            if gap == 1:
                assert match_bonus(app, other) <= match_bonus(app, current), "an equally even, better match exists"


@st.composite
def roomy_calls(draw):
    """No conflicts, nothing assigned yet, and every reviewer may take an even share of the slots."""
    applications, reviewers, required, _ = draw(calls(max_applications=12, max_reviewers=8, existing=False,
                                                      with_conflicts=False))
    if not reviewers:
        return applications, reviewers, required
    share = math.ceil(len(applications) * required / len(reviewers))
    reviewers = [
        PlanReviewer(r.id, r.languages, r.expertise, r.regions, max_load=share + draw(st.integers(0, 2)), load=0)
        for r in reviewers
    ]
    return applications, reviewers, required


@moderate
@given(roomy_calls())
def test_loads_differ_by_at_most_one_when_capacity_allows(call):
    applications, reviewers, required = call
    plan = plan_assignments(applications, reviewers, required, set())
    if plan.loads:
        assert max(plan.loads.values()) - min(plan.loads.values()) <= 1
    if len(reviewers) >= required:
        assert plan.uncovered == {}


@moderate
@given(calls(), st.randoms(use_true_random=False))
def test_the_same_call_in_any_order_gives_the_same_plan(call, rng):
    applications, reviewers, required, conflicts = call
    first = plan_assignments(applications, reviewers, required, conflicts)

    shuffled_apps, shuffled_reviewers, shuffled_conflicts = list(applications), list(reviewers), list(conflicts)
    for items in (shuffled_apps, shuffled_reviewers, shuffled_conflicts):
        rng.shuffle(items)
    again = plan_assignments(shuffled_apps, shuffled_reviewers, required, set(shuffled_conflicts))

    assert again == first


# Hand-written examples.


def _app(app_id, languages=(), topics=(), region="002", assigned=()):
    return PlanApplication(app_id, frozenset(languages), frozenset(topics), region, frozenset(assigned))


def _reviewer(reviewer_id, languages=(), expertise=(), regions=(), max_load=5, load=0):
    return PlanReviewer(reviewer_id, frozenset(languages), frozenset(expertise), frozenset(regions), max_load, load)


def test_a_reviewer_who_reads_the_language_is_preferred_when_all_else_is_equal():
    plan = plan_assignments([_app(1, languages={"fr"})], [_reviewer(10), _reviewer(20, languages={"fr", "en"})], 1, set())
    assert plan.pairs == [(1, 20)]


def test_language_outweighs_expertise_which_outweighs_region():
    app = _app(1, languages={"pt"}, topics={"water"}, region="002")
    by_region, by_expertise, by_language = (
        _reviewer(10, regions={"002"}), _reviewer(20, expertise={"water"}), _reviewer(30, languages={"pt"}))
    assert plan_assignments([app], [by_region, by_expertise, by_language], 1, set()).pairs == [(1, 30)]
    assert plan_assignments([app], [by_region, by_expertise], 1, set()).pairs == [(1, 20)]
    assert plan_assignments([app], [by_region, _reviewer(5)], 1, set()).pairs == [(1, 10)]


def test_equal_candidates_go_to_the_lowest_id():
    plan = plan_assignments([_app(1)], [_reviewer(30), _reviewer(20), _reviewer(40)], 1, set())
    assert plan.pairs == [(1, 20)]


def test_even_loads_win_over_a_better_match():
    applications = [_app(1, languages={"fr"}), _app(2, languages={"fr"})]
    plan = plan_assignments(applications, [_reviewer(10, languages={"fr"}), _reviewer(20)], 1, set())
    assert plan.pairs == [(1, 10), (2, 20)] or plan.pairs == [(1, 20), (2, 10)]
    assert plan.loads == {10: 1, 20: 1}


def test_coverage_wins_over_a_better_match():
    # Application 1 can only have reviewer 10; application 2 prefers 10 but must make do with 20.
    applications = [_app(1), _app(2, languages={"fr"})]
    reviewers = [_reviewer(10, languages={"fr"}, max_load=1), _reviewer(20)]
    plan = plan_assignments(applications, reviewers, 1, {(1, 20)})
    assert plan.pairs == [(1, 10), (2, 20)]
    assert plan.uncovered == {}


def test_existing_assignments_count_towards_the_requirement_and_the_load():
    applications = [_app(1, assigned={10, 20}), _app(2)]
    reviewers = [_reviewer(10, load=1), _reviewer(20, load=1), _reviewer(30)]
    plan = plan_assignments(applications, reviewers, 3, set())
    assert plan.pairs == [(1, 30), (2, 10), (2, 20), (2, 30)]
    assert plan.loads == {10: 2, 20: 2, 30: 2}


def test_a_reviewer_already_over_a_lowered_limit_gets_nothing_more():
    plan = plan_assignments([_app(1)], [_reviewer(10, max_load=2, load=3)], 1, set())
    assert plan.pairs == []
    assert plan.loads == {10: 3}
    assert plan.uncovered == {1: (CAPACITY, 1)}


def test_an_empty_pool_leaves_every_application_uncovered():
    plan = plan_assignments([_app(1), _app(2, assigned={LEFT_THE_POOL})], [], 2, set())
    assert plan.uncovered == {1: (NO_REVIEWERS, 2), 2: (NO_REVIEWERS, 1)}
    assert plan.pairs == [] and plan.loads == {}


def test_an_application_conflicted_with_every_reviewer_says_so():
    plan = plan_assignments([_app(1)], [_reviewer(10), _reviewer(20)], 1, {(1, 10), (1, 20)})
    assert plan.uncovered == {1: (ALL_CONFLICTED, 1)}
    assert plan.loads == {10: 0, 20: 0}


def test_too_few_reviewers_without_a_conflict_counts_as_conflicted():
    # One reviewer is conflicted, one already assigned, one given by the plan: nobody else is left.
    applications = [_app(1, assigned={20})]
    plan = plan_assignments(applications, [_reviewer(10), _reviewer(20), _reviewer(30)], 4, {(1, 10)})
    assert plan.pairs == [(1, 30)]
    assert plan.uncovered == {1: (ALL_CONFLICTED, 2)}


def test_reviewers_at_their_limit_give_a_capacity_reason():
    applications = [_app(1), _app(2)]
    reviewers = [_reviewer(10, max_load=1), _reviewer(20, max_load=0), _reviewer(30)]
    plan = plan_assignments(applications, reviewers, 1, {(1, 30), (2, 30)})
    assert plan.pairs == [(1, 10)]
    assert plan.uncovered == {2: (CAPACITY, 1)}


def test_nothing_is_planned_when_the_requirement_is_already_met():
    plan = plan_assignments([_app(1, assigned={10})], [_reviewer(10, load=1), _reviewer(20)], 1, set())
    assert plan.pairs == [] and plan.uncovered == {}
    assert plan.loads == {10: 1, 20: 0}


def test_a_requirement_of_zero_plans_nothing():
    plan = plan_assignments([_app(1)], [_reviewer(10)], 0, set())
    assert plan.pairs == [] and plan.uncovered == {}


def test_nonsense_input_is_refused():
    with pytest.raises(ValueError, match="negative"):
        plan_assignments([_app(1)], [_reviewer(10)], -1, set())
    with pytest.raises(ValueError, match="reviewer 10 appears twice"):
        plan_assignments([_app(1)], [_reviewer(10), _reviewer(10, languages={"fr"})], 1, set())
    with pytest.raises(ValueError, match="application 1 appears twice"):
        plan_assignments([_app(1), _app(1)], [_reviewer(10)], 1, set())
