"""Plan reviewer assignments for one call: cover every slot first, then even out loads, then match best.

No database and no Flask: the assignment service loads the call's applications, the reviewer pool and the
conflicts, hands plain values to `plan_assignments` and creates an Assignment for each pair returned.

The plan is a min-cost max-flow on source → application → reviewer → sink:

- source → application: capacity = reviewers still missing;
- application → reviewer: capacity 1 when there is no conflict and the reviewer is not already assigned,
  cost = MAX_BONUS − the match bonus (language, expertise, region);
- reviewer → sink: one unit arc for each place left under max_load; the arc of the k-th unit of the reviewer's
  total load (existing plus new) costs BIG × k.

OR-Tools' SimpleMinCostFlow (cost scaling, in C++) finds a maximum flow, so coverage is maximal whatever the
costs, and among the maximal flows one of least cost. A reviewer's unit costs rise with the load, so the
cheapest units are used first and a reviewer ending at load L costs BIG × L(L+1)/2: with the total fixed, that
is the sum of squared loads, halved, plus a constant. BIG exceeds any total of application → reviewer costs, so
the loads are as even as possible, and among the evenest plans the matches are best.

A call of 10,000 applications and 300 reviewers has 3 million application → reviewer arcs, and the flow over
all of them takes seconds. So it is first solved over each application's CANDIDATES best matches (ties spread
over the pool), a tenth of the arcs, and the answer is kept only if `_Network.is_optimal` proves that no other
arc could cover more or cost less: no path from source to sink and no cycle of negative cost is left in the
residual network of the whole call. Otherwise the flow is solved again over every arc. Either way the plan is
optimal over every arc.

The input is sorted by id and every step is deterministic, so the result depends only on the input values, not
on their order. Between plans equal on all three counts the candidates and the solver's order decide (in
practice the lowest ids where the pool is no larger than CANDIDATES). Breaking those ties by id on purpose needs a
fourth cost tier that widens the cost range by a factor of slots × reviewers and doubled the solver's time: not
worth it.

The pure-Python successive shortest paths this replaces explored every pair on every round: 40 s at 3,000
applications × 90 reviewers, 420 s at 10,000 × 300. The match bonuses of all pairs are computed at once with
numpy.
"""

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

LANGUAGE_WEIGHT = 3
EXPERTISE_WEIGHT = 2
REGION_WEIGHT = 1
MAX_BONUS = LANGUAGE_WEIGHT + EXPERTISE_WEIGHT + REGION_WEIGHT

# Why an application is still missing reviewers after the plan.
NO_REVIEWERS = "no_reviewers"  # the pool is empty
ALL_CONFLICTED = "all_conflicted"  # every reviewer in the pool has a conflict or is already assigned to it
CAPACITY = "capacity"  # reviewers without a conflict are left, but all of them are at their maximum load

# OR-Tools refuses a cost that, multiplied by the number of nodes plus one, would not fit in an int64.
_COST_LIMIT = 2**63 - 1
# Application → reviewer arcs the flow is first solved on, per application: its best matches. The answer is
# kept when `_Network.is_optimal` proves no other arc could improve it, else the flow is solved on every arc.
CANDIDATES = 32


@dataclass(frozen=True)
class PlanApplication:
    id: int
    languages: frozenset[str]  # the applicant organisation's languages (ISO 639-1)
    topics: frozenset[str]  # the organisation's focus areas
    region: str  # UN M49 region code, e.g. "002"
    assigned: frozenset[int]  # reviewer ids already assigned; they count towards the requirement


@dataclass(frozen=True)
class PlanReviewer:
    id: int
    languages: frozenset[str]
    expertise: frozenset[str]
    regions: frozenset[str]
    max_load: int  # most applications of this call the reviewer may hold
    load: int  # applications of this call the reviewer already holds


@dataclass
class Plan:
    pairs: list[tuple[int, int]]  # new (application_id, reviewer_id), sorted
    uncovered: dict[int, tuple[str, int]]  # application_id -> (reason code, reviewers still missing)
    loads: dict[int, int]  # reviewer_id -> load after the plan, existing plus new


def match_bonus(application: PlanApplication, reviewer: PlanReviewer) -> int:
    """How well a reviewer suits an application, from 0 to MAX_BONUS."""
    bonus = 0
    if application.languages & reviewer.languages:
        bonus += LANGUAGE_WEIGHT
    if application.topics & reviewer.expertise:
        bonus += EXPERTISE_WEIGHT
    if application.region in reviewer.regions:
        bonus += REGION_WEIGHT
    return bonus


def plan_assignments(applications, reviewers, required: int, conflicts: set[tuple[int, int]]) -> Plan:
    """Choose new (application, reviewer) pairs so each application reaches `required` reviewers.

    Never pairs a reviewer twice with an application, never pairs a conflict, never takes a reviewer past
    max_load. Covers as many slots as any plan could; among those, evens out loads; among those, prefers matching
    language, expertise and region. The result depends only on the input values, not on their order.
    Raises ValueError for a negative requirement or a repeated id, or for loads too large to cost in 64 bits.
    """
    if required < 0:
        raise ValueError("required must not be negative")
    apps = _sorted_unique(applications, "application")
    pool = _sorted_unique(reviewers, "reviewer")
    missing = np.array([max(0, required - len(app.assigned)) for app in apps], dtype=np.int64)
    loads = np.array([reviewer.load for reviewer in pool], dtype=np.int64)
    if not pool or not missing.any():
        chosen = np.zeros((len(apps), len(pool)), dtype=bool)
    else:
        usable = _open_pairs(apps, pool, conflicts) & (missing > 0)[:, None]
        network = _Network(missing, loads, np.array([reviewer.max_load for reviewer in pool], dtype=np.int64),
                           MAX_BONUS - _bonuses(apps, pool), usable)
        chosen = network.solve(_candidates(apps, pool, network))
        if not network.is_optimal(chosen):
            chosen = network.solve(usable)
    return _plan(apps, pool, missing, loads, chosen, conflicts)


def _sorted_unique(items, label):
    ordered = sorted(items, key=lambda item: item.id)
    for before, after in zip(ordered, ordered[1:]):
        if before.id == after.id:
            raise ValueError(f"{label} {after.id} appears twice")
    return ordered


def _memberships(sets, vocabulary: dict[str, int]) -> np.ndarray:
    """A 0/1 matrix: row i marks which words of `vocabulary` the i-th set holds."""
    matrix = np.zeros((len(sets), len(vocabulary)), dtype=np.float32)
    for row, words in enumerate(sets):
        matrix[row, [vocabulary[word] for word in words if word in vocabulary]] = 1
    return matrix


def _shared(app_sets, reviewer_sets) -> np.ndarray:
    """[a, r]: whether application a's set and reviewer r's set have a word in common (one matrix product)."""
    vocabulary = {word: index for index, word in enumerate(sorted(set().union(*reviewer_sets)))}
    return (_memberships(app_sets, vocabulary) @ _memberships(reviewer_sets, vocabulary).T) > 0


def _bonuses(apps, pool) -> np.ndarray:
    """match_bonus for every pair at once, as an A × R matrix."""
    return (LANGUAGE_WEIGHT * _shared([a.languages for a in apps], [r.languages for r in pool])
            + EXPERTISE_WEIGHT * _shared([a.topics for a in apps], [r.expertise for r in pool])
            + REGION_WEIGHT * _shared([{a.region} for a in apps], [r.regions for r in pool])).astype(np.int64)


def _open_pairs(apps, pool, conflicts) -> np.ndarray:
    """[a, r]: no conflict and not assigned already. Ids outside the call or the pool are ignored."""
    app_index = {app.id: a for a, app in enumerate(apps)}
    reviewer_index = {reviewer.id: r for r, reviewer in enumerate(pool)}
    open_ = np.ones((len(apps), len(pool)), dtype=bool)
    closed = [(app_index[app_id], reviewer_index[reviewer_id]) for app_id, reviewer_id in conflicts
              if app_id in app_index and reviewer_id in reviewer_index]
    closed += [(a, reviewer_index[reviewer_id]) for a, app in enumerate(apps) for reviewer_id in app.assigned
               if reviewer_id in reviewer_index]
    if closed:
        rows, columns = zip(*closed)
        open_[list(rows), list(columns)] = False
    return open_


def _candidates(apps, pool, network) -> np.ndarray:
    """The CANDIDATES best matches of each application, ties spread over the pool by a hash of the two ids
    (the same for the same ids, whatever the order they came in), so that loads can even out among them."""
    if network.usable.shape[1] <= CANDIDATES:
        return network.usable
    spread = (np.array([app.id for app in apps], dtype=np.uint64)[:, None] * np.uint64(2654435761)
              ^ np.array([reviewer.id for reviewer in pool], dtype=np.uint64)[None, :] * np.uint64(40503)) % 1000
    key = np.where(network.usable, (MAX_BONUS - network.cost) * 1000 + spread.astype(np.int64), -1)
    best = np.argpartition(-key, CANDIDATES, axis=1)[:, :CANDIDATES]
    candidates = np.zeros_like(network.usable)
    candidates[np.arange(len(apps))[:, None], best] = True
    return candidates & network.usable


@dataclass
class _Network:
    """The flow network of one call: A applications × R reviewers, as arrays indexed by position."""

    missing: np.ndarray  # A: reviewers each application still needs
    loads: np.ndarray  # R: applications each reviewer holds already
    max_loads: np.ndarray  # R
    cost: np.ndarray  # A × R: MAX_BONUS − match bonus
    usable: np.ndarray  # A × R: no conflict, not assigned already, and the application needs someone

    def __post_init__(self):
        self.room = np.maximum(self.max_loads - self.loads, 0)
        self.big = int(min(self.missing.sum(), self.room.sum())) * MAX_BONUS + 1

    def solve(self, arcs: np.ndarray) -> np.ndarray:
        """The min-cost max-flow described above, over the application → reviewer `arcs` (A × R booleans);
        returns the chosen pairs as A × R booleans."""
        n_apps, n_reviewers = arcs.shape
        source, sink = n_apps + n_reviewers, n_apps + n_reviewers + 1
        app_of, reviewer_of = np.nonzero(arcs)
        # A reviewer never takes more units than there are applications that could use them.
        room = np.minimum(self.room, arcs.sum(axis=0))
        unit_reviewer = np.repeat(np.arange(n_reviewers), room)
        unit_level = (self.loads[unit_reviewer] + 1 + np.arange(len(unit_reviewer))
                      - np.repeat(np.cumsum(room) - room, room))
        if self.big * int(unit_level.max(initial=0)) * (source + 3) > _COST_LIMIT:
            raise ValueError("the reviewers' loads are too large to plan")
        slots = int(min(self.missing.sum(), room.sum()))
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            np.full(n_apps, source), np.arange(n_apps), self.missing, np.zeros(n_apps, dtype=np.int64))
        pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
            app_of, n_apps + reviewer_of, np.ones(len(app_of), dtype=np.int64), self.cost[app_of, reviewer_of])
        flow.add_arcs_with_capacity_and_unit_cost(
            n_apps + unit_reviewer, np.full(len(unit_reviewer), sink), np.ones(len(unit_reviewer), dtype=np.int64),
            self.big * unit_level)
        flow.set_node_supply(source, slots)
        flow.set_node_supply(sink, -slots)
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"the assignment flow could not be solved: {status}")
        chosen = np.zeros(arcs.shape, dtype=bool)
        used = flow.flows(pair_arcs) > 0
        chosen[app_of[used], reviewer_of[used]] = True
        return chosen

    def is_optimal(self, chosen: np.ndarray) -> bool:
        """Whether `chosen` is a maximum flow of least cost over every usable pair, not only those it was solved on.

        It is when the residual network has no path from the source to the sink (no more slots can be covered)
        and no cycle of negative cost (no exchange makes it cheaper). Every path through an application goes
        from the source or a reviewer to the source or a reviewer, so the residual network is folded onto
        the source, the sink and the reviewers, each arc the cheapest way through any application, and
        Floyd-Warshall looks for both on those R + 2 nodes.
        """
        n_reviewers = chosen.shape[1]
        source, sink = n_reviewers, n_reviewers + 1
        weight = np.full((n_reviewers + 2, n_reviewers + 2), np.inf)
        free = self.usable & ~chosen  # application → reviewer arcs still open
        detour = np.where(free, self.cost, np.inf)  # through an application, leaving for each reviewer
        held_reviewer, held_app = np.nonzero(chosen.T)  # the pairs chosen, grouped by reviewer
        if len(held_app):
            # reviewer r → application a it holds (−cost) → another reviewer, or back to the source.
            back = detour[held_app] - self.cost[held_app, held_reviewer][:, None]
            starts = np.flatnonzero(np.r_[True, held_reviewer[1:] != held_reviewer[:-1]])
            holders = held_reviewer[starts]
            weight[holders, :n_reviewers] = np.minimum.reduceat(back, starts, axis=0)
            weight[holders, source] = -np.maximum.reduceat(self.cost[held_app, held_reviewer], starts)
        short = chosen.sum(axis=1) < self.missing
        if short.any():  # source → an application still short of reviewers → a reviewer
            weight[source, :n_reviewers] = detour[short].min(axis=0)
        final = self.loads + chosen.sum(axis=0)
        reviewers = np.arange(n_reviewers)
        with_room = final < self.max_loads
        weight[reviewers[with_room], sink] = self.big * (final[with_room] + 1)
        given = chosen.any(axis=0)
        weight[sink, reviewers[given]] = -self.big * final[given]
        np.fill_diagonal(weight, np.minimum(np.diag(weight), 0))
        for k in range(n_reviewers + 2):
            weight = np.minimum(weight, weight[:, k, None] + weight[None, k, :])
        return bool(np.isinf(weight[source, sink]) and (np.diag(weight) >= 0).all())


def _plan(apps, pool, missing, loads, chosen, conflicts) -> Plan:
    pairs = [(apps[a].id, pool[r].id) for a, r in zip(*np.nonzero(chosen))]
    left = missing - chosen.sum(axis=1)
    final = loads + chosen.sum(axis=0)
    uncovered = {app.id: (_reason(app, pool, chosen[a], conflicts), int(left[a]))
                 for a, app in enumerate(apps) if left[a] > 0}
    return Plan(pairs=pairs, uncovered=uncovered,
                loads={reviewer.id: int(final[r]) for r, reviewer in enumerate(pool)})


def _reason(app, pool, chosen_row, conflicts) -> str:
    if not pool:
        return NO_REVIEWERS
    # A maximum flow leaves no reviewer with room who could still take the application.
    if any(not chosen_row[r] and reviewer.id not in app.assigned and (app.id, reviewer.id) not in conflicts
           for r, reviewer in enumerate(pool)):
        return CAPACITY
    return ALL_CONFLICTED
