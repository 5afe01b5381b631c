"""The ranking of a call: rows, filters, sort orders, running total, awarded shares against targets.

The call of most tests (envelope 100 000.00, two reviews required), on the
rubric A (weight 2, max 5) + B (weight 1, max 10):

| app | organisation                         | requested | reviews (recommendation)   | mean | decision          |
| A   | KE (002) civil society, NGO          | 20 000    | 70 fund, 90 fund           | 80   | award 20 000, released |
| B   | BR (019) technical, community network| 30 000    | 40 do not fund             | 40   | award 10 000      |
| C   | IN (142) academia, academic          | 10 000    | none                       | —    | reject            |
| D   | KE (002) civil society, network      | 15 000    | 60 fund, 70 do not fund    | 65   | none              |

plus a draft, a withdrawn application and another call's application, never ranked.
"""

import pytest

from cade.applications.constants import ApplicationStatus
from cade.awards.constants import DecisionOutcome
from cade.awards.services.figures import keep_award_figures
from cade.awards.services.ranking import Ranking, RankingFilters, rank_call
from cade.core.db import utcnow
from cade.core.errors import NotFound, ValidationFailed
from cade.extensions import db as _db
from cade.reviews.constants import Recommendation
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CallReviewSettingsFactory,
    DecisionFactory,
    OrganisationFactory,
    ReviewerProfileFactory,
)
from tests.querycount import count_statements
from tests.reviews.test_aggregation import Rubric

NO = Recommendation.DO_NOT_FUND


class World(Rubric):
    def __init__(self):
        super().__init__(CallFactory(closed=True, budget_envelope_minor=100_000_00, reviews_required=2))

    def application(self, reference, requested, country="KE", stakeholder="civil_society", kind="ngo",
                    status=ApplicationStatus.UNDER_REVIEW):
        organisation = OrganisationFactory(country=country, stakeholder_group=stakeholder, organisation_type=kind,
                                           name=f"Organisation {reference}")
        return ApplicationFactory(call=self.call, organisation=organisation, submitted=True, status=status,
                                  reference=f"{self.call.reference_prefix}-{reference}",
                                  title=f"Project {reference}", requested_amount_minor=requested)

    def decide(self, application, outcome, amount=None, released=False):
        decision = DecisionFactory(application=application, outcome=outcome, amount_minor=amount,
                                   released_at=utcnow() if released else None)
        keep_award_figures(application.call_id)  # as the deciding service does
        return decision


@pytest.fixture()
def world(db):
    world = World()
    world.A = world.application("A", 20_000_00)
    world.B = world.application("B", 30_000_00, country="BR", stakeholder="technical_community",
                                kind="community_network")
    world.C = world.application("C", 10_000_00, country="IN", stakeholder="academia", kind="academic",
                                status=ApplicationStatus.SUBMITTED)
    world.D = world.application("D", 15_000_00, kind="community_network")
    world.review(world.A, score=70)
    world.review(world.A, score=90)
    world.review(world.B, score=40, recommendation=NO)
    world.review(world.B, score=90, submitted=False)
    world.review(world.D, score=60)
    world.review(world.D, score=70, recommendation=NO)
    world.decide(world.A, DecisionOutcome.AWARD, 20_000_00, released=True)
    world.decide(world.B, DecisionOutcome.AWARD, 10_000_00)
    world.decide(world.C, DecisionOutcome.REJECT)
    # Never ranked: a draft, a withdrawn application, another call's application.
    world.application("E", 5_000_00, status=ApplicationStatus.DRAFT)
    world.application("F", 5_000_00, status=ApplicationStatus.WITHDRAWN)
    other = World()
    other.review(other.application("G", 50_000_00), score=90)
    world.decide_other = world.decide(other.application("H", 40_000_00), DecisionOutcome.AWARD, 40_000_00)
    return world


def titles(ranking: Ranking) -> list[str]:
    return [row.title.removeprefix("Project ") for row in ranking.rows]


def rank(world, **filters) -> Ranking:
    return rank_call(world.call.id, RankingFilters(**filters))


# Rows --------------------------------------------------------------------------


def test_ranking_lists_the_sent_in_applications_best_mean_first_unreviewed_last(world):
    ranking = rank_call(world.call.id)

    assert titles(ranking) == ["A", "D", "B", "C"]
    a, d, b, c = ranking.rows
    assert a.reference == f"{world.call.reference_prefix}-A"
    assert (a.organisation_name, a.country, a.region_code) == ("Organisation A", "KE", "002")
    assert (a.stakeholder_group, a.organisation_type) == ("civil_society", "ngo")
    assert a.requested_minor == 20_000_00
    assert (a.review_count, a.mean_score, a.median_score, a.spread) == (
        2, pytest.approx(80.0), pytest.approx(80.0), pytest.approx(20.0))
    assert a.normalised_score is None  # nobody reviewed three applications
    assert not a.disagreement and not a.few_reviews
    assert d.disagreement  # opposite recommendations, spread 10
    assert b.review_count == 1 and b.few_reviews  # the draft review does not count
    assert (c.review_count, c.mean_score, c.median_score, c.spread) == (0, None, None, None)
    assert c.few_reviews and not c.disagreement


def test_rows_carry_the_decision_and_whether_it_is_released(world):
    rows = {row.application_id: row for row in rank_call(world.call.id).rows}

    assert (rows[world.A.id].decision_outcome, rows[world.A.id].decision_amount_minor) == ("award", 20_000_00)
    assert rows[world.A.id].decision_released
    assert rows[world.B.id].decision_outcome == "award" and not rows[world.B.id].decision_released
    assert (rows[world.C.id].decision_outcome, rows[world.C.id].decision_amount_minor) == ("reject", None)
    assert rows[world.D.id].decision_outcome is None and not rows[world.D.id].decision_released


def test_running_total_adds_requested_amounts_down_the_table(world):
    ranking = rank_call(world.call.id)

    assert [row.running_requested_minor for row in ranking.rows] == [20_000_00, 35_000_00, 65_000_00, 75_000_00]
    assert ranking.requested_total_minor == 75_000_00


def test_running_total_awarded_adds_the_awards_down_the_table(world):
    ranking = rank_call(world.call.id)

    # A (award 20 000, released), D (undecided), B (award 10 000), C (reject): only awards add up.
    assert titles(ranking) == ["A", "D", "B", "C"]
    assert [row.running_awarded_minor for row in ranking.rows] == [20_000_00, 20_000_00, 30_000_00, 30_000_00]
    assert ranking.rows[-1].running_awarded_minor == ranking.awarded_minor


def test_running_total_awarded_follows_the_filtered_sorted_table(world):
    ranking = rank(world, sort="requested", descending=True)

    assert titles(ranking) == ["B", "A", "D", "C"]
    assert [row.running_awarded_minor for row in ranking.rows] == [10_000_00, 30_000_00, 30_000_00, 30_000_00]
    africa = rank(world, region="002", sort="requested", descending=False)
    assert [row.running_awarded_minor for row in africa.rows] == [0, 20_000_00]


def test_running_total_follows_the_filtered_sorted_table(world):
    ranking = rank(world, region="002", sort="requested", descending=False)

    assert titles(ranking) == ["D", "A"]
    assert [row.running_requested_minor for row in ranking.rows] == [15_000_00, 35_000_00]
    assert ranking.requested_total_minor == 35_000_00


# Sorting -----------------------------------------------------------------------


@pytest.mark.parametrize(("sort", "descending", "expected"), [
    ("score", True, ["A", "D", "B", "C"]),
    ("score", False, ["B", "D", "A", "C"]),  # unreviewed still last
    ("median", True, ["A", "D", "B", "C"]),
    ("median", False, ["B", "D", "A", "C"]),
    ("requested", True, ["B", "A", "D", "C"]),
    ("requested", False, ["C", "D", "A", "B"]),
    ("reference", False, ["A", "B", "C", "D"]),
    ("reference", True, ["D", "C", "B", "A"]),
    ("reviews", True, ["A", "D", "B", "C"]),  # A and D both have two: by reference
    ("reviews", False, ["C", "B", "A", "D"]),
    ("normalised", True, ["A", "B", "C", "D"]),  # nobody normalised: all NULL, by reference
])
def test_sort_orders(world, sort, descending, expected):
    assert titles(rank(world, sort=sort, descending=descending)) == expected


def test_sorting_by_normalised_score_puts_unnormalised_applications_last(db):
    world = World()
    steady = ReviewerProfileFactory().user
    low, high, mid, unnormalised = (world.application(ref, 10_000_00) for ref in ("L", "H", "M", "U"))
    world.review(low, score=40, reviewer=steady)
    world.review(high, score=90, reviewer=steady)
    world.review(mid, score=70, reviewer=steady)
    world.review(unnormalised, score=80)

    assert titles(rank(world, sort="normalised")) == ["H", "M", "L", "U"]
    assert titles(rank(world, sort="normalised", descending=False)) == ["L", "M", "H", "U"]
    rows = {row.title: row for row in rank(world, sort="normalised").rows}
    assert rows["Project H"].normalised_score > 0 > rows["Project L"].normalised_score
    assert rows["Project U"].normalised_score is None


def test_equal_scores_break_ties_by_reference(db):
    world = World()
    for reference in ("C", "A", "B"):
        application = world.application(reference, 10_000_00)
        world.review(application, score=70)
        world.review(application, score=70)

    assert titles(rank(world)) == ["A", "B", "C"]
    assert titles(rank(world, descending=False)) == ["A", "B", "C"]


# Filters -----------------------------------------------------------------------


@pytest.mark.parametrize(("filters", "expected"), [
    ({"region": "002"}, ["A", "D"]),
    ({"region": "019"}, ["B"]),
    ({"region": "150"}, []),
    ({"stakeholder_group": "technical_community"}, ["B"]),
    ({"organisation_type": "community_network"}, ["D", "B"]),
    ({"region": "002", "organisation_type": "community_network"}, ["D"]),
    ({"score_min": 65}, ["A", "D"]),  # 65 itself is in; unreviewed drop out
    ({"score_max": 65}, ["D", "B"]),
    ({"score_min": 50, "score_max": 70}, ["D"]),
    ({"score_min": 0}, ["A", "D", "B"]),
    ({"flag": "disagreement"}, ["D"]),
    ({"flag": "few_reviews"}, ["B", "C"]),
    ({"flag": "undecided"}, ["D"]),
    ({"region": None, "flag": None}, ["A", "D", "B", "C"]),
])
def test_filters_narrow_the_rows(world, filters, expected):
    assert titles(rank(world, **filters)) == expected


def test_filters_never_change_the_awarded_total_or_shares(world):
    everything, narrowed = rank_call(world.call.id), rank(world, region="142", flag="undecided")

    assert narrowed.rows == []
    assert narrowed.awarded_minor == everything.awarded_minor == 30_000_00
    assert narrowed.region_shares == everything.region_shares
    assert narrowed.requested_total_minor == 0


@pytest.mark.parametrize(("filters", "field"), [
    ({"sort": "popularity"}, "sort"),
    ({"flag": "shiny"}, "flag"),
    ({"score_min": 80, "score_max": 20}, "score_max"),
])
def test_bad_filters_are_refused_with_the_field_named(world, filters, field):
    with pytest.raises(ValidationFailed) as refused:
        rank(world, **filters)

    assert field in refused.value.errors


def test_an_unknown_call_is_not_found(db):
    with pytest.raises(NotFound):
        rank_call(999_999)


# Envelope and shares --------------------------------------------------------------


def test_awarded_and_remaining_count_every_award_of_the_call_only(world):
    ranking = rank_call(world.call.id)

    assert ranking.envelope_minor == 100_000_00
    assert ranking.awarded_minor == 30_000_00  # A and B; C is rejected; the other call's award is not ours
    assert ranking.remaining_minor == 70_000_00


def test_shares_by_region_and_stakeholder_group_against_targets(world):
    CallReviewSettingsFactory(call=world.call, region_targets={"002": 50, "142": 20},
                              stakeholder_targets={"civil_society": 60})

    ranking = rank_call(world.call.id)

    regions = [(s.code, s.amount_minor, s.percent, s.target) for s in ranking.region_shares]
    assert regions == [
        ("002", 20_000_00, pytest.approx(200 / 3), 50),
        ("019", 10_000_00, pytest.approx(100 / 3), None),
        ("142", 0, 0.0, 20),  # a target without awards
    ]
    stakeholders = [(s.code, s.amount_minor, s.percent, s.target) for s in ranking.stakeholder_shares]
    assert stakeholders == [
        ("civil_society", 20_000_00, pytest.approx(200 / 3), 60),
        ("technical_community", 10_000_00, pytest.approx(100 / 3), None),
    ]


def test_a_call_without_awards_shows_targets_at_zero(db):
    world = World()
    world.application("A", 10_000_00)
    CallReviewSettingsFactory(call=world.call, region_targets={"002": 40}, stakeholder_targets={})

    ranking = rank_call(world.call.id)

    assert (ranking.awarded_minor, ranking.remaining_minor) == (0, 100_000_00)
    assert [(s.code, s.amount_minor, s.percent, s.target) for s in ranking.region_shares] == [("002", 0, 0.0, 40)]
    assert ranking.stakeholder_shares == []
    assert titles(ranking) == ["A"]


def test_waitlisted_and_rejected_decisions_are_not_awarded(db):
    world = World()
    world.decide(world.application("A", 10_000_00), DecisionOutcome.WAITLIST)
    world.decide(world.application("B", 10_000_00), DecisionOutcome.REJECT)

    ranking = rank_call(world.call.id)

    assert ranking.awarded_minor == 0
    assert ranking.region_shares == []


# Queries -----------------------------------------------------------------------


def ranked_call(size: int) -> int:
    world = World()
    countries = ("KE", "BR", "IN", "FR")
    for index in range(size):
        application = world.application(f"{index:03d}", 10_000_00, country=countries[index % 4])
        for score in (70, 40, 90)[: index % 3 + 1]:
            world.review(application, score=score)
        if index % 2:
            world.decide(application, DecisionOutcome.AWARD, 5_000_00)
    CallReviewSettingsFactory(call=world.call, region_targets={"002": 30})
    return world.call.id


def test_ranking_runs_a_fixed_number_of_queries_whatever_the_size(db):
    small, large = ranked_call(2), ranked_call(12)
    _db.session.expunge_all()

    small_ranking, small_count = count_statements(lambda: rank_call(small, RankingFilters(flag="few_reviews")))
    large_ranking, large_count = count_statements(lambda: rank_call(large, RankingFilters(flag="few_reviews")))

    assert len(large_ranking.rows) > len(small_ranking.rows)
    assert large_ranking.awarded_minor == 6 * 5_000_00
    assert small_count == large_count <= 5  # the call, its settings, the totals, the page, the shares


def test_a_large_call_is_ranked_a_page_at_a_time_with_totals_over_every_page(db):
    from cade.awards.services.ranking import rank_call
    from tests.factories import ApplicationFactory, CallFactory

    call = CallFactory(closed=True)
    for n in range(7):
        application = ApplicationFactory(call=call, submitted=True, requested_amount_minor=(n + 1) * 1_000_00)
        if n in (0, 5):  # two awards, on pages 1 and 2: 1 000 + 6 000
            DecisionFactory(application=application, amount_minor=(n + 1) * 1_000_00)
    everything = rank_call(call.id, per_page=50)
    first, last = rank_call(call.id, page=1, per_page=3), rank_call(call.id, page=3, per_page=3)

    assert (first.total_rows, first.pages, len(first.rows), len(last.rows)) == (7, 3, 3, 1)
    assert last.first_rank == 7 and last.has_prev and not last.has_next
    assert [r.application_id for r in first.rows + rank_call(call.id, page=2, per_page=3).rows + last.rows] == \
        [r.application_id for r in everything.rows]
    # The running totals on the last page count the rows of the earlier pages.
    assert last.rows[-1].running_requested_minor == everything.requested_total_minor == 28_000_00
    assert [r.running_awarded_minor for r in last.rows] == [everything.rows[-1].running_awarded_minor] == [7_000_00]
    assert first.requested_total_minor == 28_000_00
    beyond = rank_call(call.id, page=9, per_page=3)
    assert beyond.rows == [] and beyond.total_rows == 7 and beyond.requested_total_minor == 28_000_00
