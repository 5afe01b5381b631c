"""Plan reviewer assignments for one call: cover every slot first, then even out loads, then match best.

Pure Python, no database and no Flask: the assignment service loads the call's applications, the reviewer pool
and the conflicts, hands plain values to `plan_assignments` and creates an Assignment for each pair returned.

The plan is a min-cost max-flow on source → application → reviewer → sink:

- source → application: capacity = reviewers still missing;
- application → reviewer: capacity 1 when there is no conflict and the reviewer is not already assigned,
  cost = minus the match bonus (language, expertise, region);
- reviewer → sink: capacity = room left under max_load; the k-th unit of a reviewer's total load costs BIG * k.

The costs are convex per reviewer, so the k-th unit is read from the current flow and no unit edges are needed.
Successive shortest paths keep augmenting until no path is left, so coverage is maximal whatever the costs. BIG
exceeds any total of match bonuses, so among the maximal plans the loads are as even as possible (the sum of
squared loads is minimal) and among those the matches are best. Each round runs Dijkstra with potentials, then
augments along every path that is tight under the new potentials before searching again.
"""

import heapq
from dataclasses import dataclass

LANGUAGE_WEIGHT = 3
EXPERTISE_WEIGHT = 2
REGION_WEIGHT = 1
MAX_BONUS = LANGUAGE_WEIGHT + EXPERTISE_WEIGHT + REGION_WEIGHT

# Why an application is still missing reviewers after the plan.
NO_REVIEWERS = "no_reviewers"  # the pool is empty
ALL_CONFLICTED = "all_conflicted"  # every reviewer in the pool has a conflict or is already assigned to it
CAPACITY = "capacity"  # reviewers without a conflict are left, but all of them are at their maximum load

_UNREACHED = None


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
    Raises ValueError for a negative requirement or a repeated id.
    """
    if required < 0:
        raise ValueError("required must not be negative")
    apps = _sorted_unique(applications, "application")
    pool = _sorted_unique(reviewers, "reviewer")
    network = _Network(apps, pool, required, conflicts)
    network.solve()
    return network.plan()


def _sorted_unique(items, label):
    ordered = sorted(items, key=lambda item: item.id)
    for before, after in zip(ordered, ordered[1:]):
        if before.id == after.id:
            raise ValueError(f"{label} {after.id} appears twice")
    return ordered


class _Network:
    """The residual graph. Nodes: applications 0..A-1, reviewers A..A+R-1, sink A+R; the source is implicit."""

    def __init__(self, apps, pool, required, conflicts):
        self.apps, self.pool = apps, pool
        self.sink = len(apps) + len(pool)
        self.missing = [max(0, required - len(app.assigned)) for app in apps]
        self.load = [reviewer.load for reviewer in pool]
        self.room = [max(0, reviewer.max_load - reviewer.load) for reviewer in pool]
        # bonus[a][r] for every reviewer r that application a may still get.
        self.bonus = [
            {
                r: match_bonus(app, reviewer)
                for r, reviewer in enumerate(pool)
                if reviewer.id not in app.assigned and (app.id, reviewer.id) not in conflicts
            }
            for app in apps
        ]
        self.chosen = [set() for _ in apps]  # reviewers the plan gives each application
        self.taken = [set() for _ in pool]  # applications the plan gives each reviewer
        self.big = MAX_BONUS * sum(self.missing) + 1
        # Potentials keep every residual edge's reduced cost >= 0 so Dijkstra applies. The source's stays 0.
        self.potential = [0] * len(apps) + [-MAX_BONUS] * (len(pool) + 1)

    def solve(self):
        while self._shortest_distances():
            self._augment_tight_paths()

    def plan(self) -> Plan:
        pairs = sorted((self.apps[a].id, self.pool[r].id) for a, reviewers in enumerate(self.chosen) for r in reviewers)
        uncovered = {app.id: (self._reason(a), self.missing[a]) for a, app in enumerate(self.apps) if self.missing[a]}
        loads = {reviewer.id: self.load[r] for r, reviewer in enumerate(self.pool)}
        return Plan(pairs=pairs, uncovered=uncovered, loads=loads)

    def _reason(self, a):
        if not self.pool:
            return NO_REVIEWERS
        # Max flow guarantees that any reviewer the application could still get is at max load.
        if any(r not in self.chosen[a] for r in self.bonus[a]):
            return CAPACITY
        return ALL_CONFLICTED

    # Residual edges with their costs. Each yields (node, cost); reviewer r is node A + r.

    def _edges_from(self, node):
        n_apps = len(self.apps)
        if node < n_apps:
            chosen = self.chosen[node]
            for r, bonus in self.bonus[node].items():
                if r not in chosen:
                    yield n_apps + r, -bonus
        else:
            r = node - n_apps
            if self.room[r]:
                yield self.sink, self.big * (self.load[r] + 1)
            for a in sorted(self.taken[r]):
                yield a, self.bonus[a][r]

    def _shortest_distances(self) -> bool:
        """Dijkstra on reduced costs from the source; shift the potentials. False when the sink is unreachable."""
        potential, sink = self.potential, self.sink
        distance = [_UNREACHED] * (sink + 1)
        heap = []
        for a, missing in enumerate(self.missing):
            if missing:
                distance[a] = -potential[a]
                heap.append((distance[a], a))
        heapq.heapify(heap)
        done = [False] * (sink + 1)
        while heap:
            dist, node = heapq.heappop(heap)
            if done[node]:
                continue
            done[node] = True
            if node == sink:
                break
            base = dist + potential[node]
            for target, cost in self._edges_from(node):
                candidate = base + cost - potential[target]
                if not done[target] and (distance[target] is _UNREACHED or candidate < distance[target]):
                    distance[target] = candidate
                    heapq.heappush(heap, (candidate, target))
        to_sink = distance[sink]
        if to_sink is _UNREACHED:
            return False
        # Capping at the sink's distance keeps reduced costs non-negative for nodes not settled before it.
        for node, dist in enumerate(distance):
            potential[node] += to_sink if dist is _UNREACHED else min(dist, to_sink)
        return True

    def _augment_tight_paths(self):
        """Augment along source-to-sink paths of zero reduced cost until none is left.

        Each is a shortest path, so the flow stays of least cost. A node found to have no tight path to the sink
        keeps none for the rest of the round: augmenting only adds reverses of edges on a live path.
        """
        dead = [False] * (self.sink + 1)
        for start in range(len(self.apps)):
            while self.missing[start] and self.potential[start] == 0 and not dead[start]:
                path = self._tight_path(start, dead)
                if path is None:
                    break
                self._augment(path)

    def _tight_path(self, start, dead):
        potential, sink = self.potential, self.sink
        stack = [(start, self._edges_from(start))]
        on_path = {start}
        while stack:
            node, edges = stack[-1]
            for target, cost in edges:
                if cost + potential[node] - potential[target] or dead[target] or target in on_path:
                    continue
                if target == sink:
                    return [entry[0] for entry in stack]
                stack.append((target, self._edges_from(target)))
                on_path.add(target)
                break
            else:
                stack.pop()
                on_path.discard(node)
                dead[node] = True
        return None

    def _augment(self, path):
        """Push one unit along application → reviewer (→ application → reviewer …) → sink."""
        n_apps = len(self.apps)
        self.missing[path[0]] -= 1
        for node, target in zip(path, path[1:]):
            if node < n_apps:
                a, r = node, target - n_apps
                self.chosen[a].add(r)
                self.taken[r].add(a)
            else:
                a, r = target, node - n_apps
                self.chosen[a].remove(r)
                self.taken[r].remove(a)
        last = path[-1] - n_apps
        self.load[last] += 1
        self.room[last] -= 1


if __name__ == "__main__":
    import random
    import time

    def _random_call(seed, n_apps, n_reviewers):
        rng = random.Random(seed)
        langs, topics, regions = ["en", "fr", "es", "pt", "ar", "sw"], [f"t{i}" for i in range(12)], ["002", "009", "019", "142", "150"]
        apps = [
            PlanApplication(i, frozenset(rng.sample(langs, 2)), frozenset(rng.sample(topics, 3)), rng.choice(regions),
                            frozenset())
            for i in range(n_apps)
        ]
        pool = [
            PlanReviewer(1000 + j, frozenset(rng.sample(langs, 2)), frozenset(rng.sample(topics, 4)),
                         frozenset(rng.sample(regions, 2)), max_load=rng.randint(20, 60), load=0)
            for j in range(n_reviewers)
        ]
        conflicts = {(app.id, reviewer.id) for app in apps for reviewer in pool if rng.random() < 0.05}
        return apps, pool, conflicts

    for n_apps, n_reviewers, required in ((100, 15, 2), (400, 40, 3)):
        apps, pool, conflicts = _random_call(n_apps, n_apps, n_reviewers)
        started = time.perf_counter()
        result = plan_assignments(apps, pool, required, conflicts)
        elapsed = time.perf_counter() - started
        print(f"{n_apps} applications x {n_reviewers} reviewers x {required}: {len(result.pairs)} pairs, "
              f"{len(result.uncovered)} uncovered, loads {min(result.loads.values())}-{max(result.loads.values())}, "
              f"{elapsed:.2f} s")
