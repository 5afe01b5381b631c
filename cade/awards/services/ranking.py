"""The ranking of a call's applications for deciding, and where the awarded money goes (issue 3, item 6).

Five queries whatever the number of applications: the call, its review
settings, the totals of the rows the filters keep, one page of ranked rows, and
the call's kept award figures (the awarded amounts by region and stakeholder
group, the decisions waiting for release: cade/awards/services/figures.py).
The first page of a score's order walks an index and the figures are one row,
so neither grows with the call.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, false, func, select, union_all

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.awards.services.commitments import commits_funds
from cade.awards.services.figures import kept_award_figures
from cade.core.errors import NotFound, ValidationFailed
from cade.core.pagination import PageNumbers
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.programmes.models import Call
from cade.reviews.models import ApplicationScore
from cade.reviews.services.settings import review_settings

# Everything an applicant has sent in; drafts and withdrawn applications are never ranked.
RANKED_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.INFO_REQUESTED,  # waiting for a clarification: still ranked, not yet decidable
    ApplicationStatus.SHORTLISTED,  # a concept note's released outcome (two-stage calls)
    ApplicationStatus.AWARDED,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.REJECTED,
)
# Rows a page: a large call's table stays light on a slow connection; totals cover every page.
RANKING_PAGE_SIZE = 50
SORTS = ("score", "median", "normalised", "requested", "reference", "reviews")
FLAGS = ("disagreement", "few_reviews", "undecided")


@dataclass
class RankingFilters:
    region: str | None = None  # UN M49 region code
    stakeholder_group: str | None = None
    organisation_type: str | None = None
    score_min: float | None = None  # on the mean score, 0–100; unreviewed applications drop out
    score_max: float | None = None
    flag: str | None = None  # "disagreement" | "few_reviews" (fewer submitted reviews than required) | "undecided"
    sort: str = "score"  # "score" (mean) | "median" | "normalised" | "requested" | "reference" | "reviews"
    descending: bool = True


@dataclass
class RankingRow:
    application_id: int
    reference: str | None
    title: str
    organisation_name: str
    country: str
    region_code: str
    stakeholder_group: str
    organisation_type: str
    requested_minor: int | None
    review_count: int
    mean_score: float | None
    median_score: float | None
    normalised_score: float | None  # mean z-score, e.g. +0.85 (see cade.reviews.services.aggregation)
    spread: float | None
    disagreement: bool
    few_reviews: bool
    decision_outcome: str | None
    decision_amount_minor: int | None
    decision_released: bool
    running_requested_minor: int  # requested amounts of this row and all rows above it
    running_awarded_minor: int = 0  # amounts committed by the awards of this row and all rows above it


@dataclass
class Share:
    code: str
    amount_minor: int
    percent: float  # of the awarded total
    target: int | None  # percent the admin aims for, or None


@dataclass
class Ranking(PageNumbers):
    rows: list[RankingRow]
    envelope_minor: int
    awarded_minor: int  # every award decision of the call, whatever the filters
    remaining_minor: int
    requested_total_minor: int  # every row the filters keep, on all pages
    region_shares: list[Share] = field(default_factory=list)
    stakeholder_shares: list[Share] = field(default_factory=list)
    total_rows: int = 0  # rows the filters keep, on all pages
    unreleased: int = 0  # the call's decisions a release would send now
    page: int = 1
    per_page: int = RANKING_PAGE_SIZE

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1


def _checked(filters: RankingFilters) -> None:
    errors = {}
    if filters.sort not in SORTS:
        errors["sort"] = [_l("Choose one of the offered sort orders.")]
    if filters.flag is not None and filters.flag not in FLAGS:
        errors["flag"] = [_l("Choose one of the offered flags.")]
    if None not in (filters.score_min, filters.score_max) and filters.score_min > filters.score_max:
        errors["score_max"] = [_l("The highest score must not be below the lowest.")]
    if errors:
        raise ValidationFailed(errors)


def rank_call(call_id: int, filters: RankingFilters | None = None, page: int = 1,
              per_page: int = RANKING_PAGE_SIZE) -> Ranking:
    """The call's ranked applications with their scores and decisions, and the awarded shares against targets.

    One page of rows; ranks, the running totals (requested, and awarded) and
    the requested total count every row the filters keep, on earlier pages too. Unreviewed applications sort last in either direction; ties break by
    reference. Raises NotFound for an unknown call and ValidationFailed for an
    unknown sort or flag, or a score range upside down.
    """
    filters = filters or RankingFilters()
    _checked(filters)
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound()
    settings = review_settings(call_id)
    page = max(1, page)
    rows, total_rows, requested_total = _ranked_rows(call, filters, page, per_page)
    figures = kept_award_figures(call_id)
    awarded = sum(figures.by_region.values())
    return Ranking(
        rows=rows,
        envelope_minor=call.budget_envelope_minor,
        awarded_minor=awarded,
        remaining_minor=call.budget_envelope_minor - awarded,
        requested_total_minor=requested_total,
        region_shares=_shares(figures.by_region, settings.region_targets or {}, awarded),
        stakeholder_shares=_shares(figures.by_stakeholder_group, settings.stakeholder_targets or {}, awarded),
        unreleased=figures.waiting_count,
        total_rows=total_rows,
        page=page,
        per_page=per_page,
    )


def _ranked_rows(call: Call, filters: RankingFilters, page: int, per_page: int) -> tuple[list[RankingRow], int, int]:
    """One page of rows, the number of rows on all pages and their requested total, in two queries.

    The rows up to the end of the page are chosen first from narrow columns
    (`_prefix`), so the page's joins and running totals cover those rows only,
    not the whole call; the running totals still count every row above, on
    earlier pages too. The totals are one aggregate over the same filtered
    rows, which the index on applications (call_id, status) answers alone.
    """
    kept = ApplicationScore
    review_count = func.coalesce(kept.review_count, 0)
    chosen = _filtered(
        select(Application.id.label("application_id"), _sort_key(filters).label("sort_key"),
               Application.reference, func.coalesce(Application.requested_amount_minor, 0).label("requested"))
        .outerjoin(kept, kept.application_id == Application.id),
        call, filters, review_count)
    totals = select(func.count(), func.coalesce(func.sum(func.coalesce(Application.requested_amount_minor, 0)), 0))
    if _asks_scores(filters):
        totals = totals.outerjoin(kept, kept.application_id == Application.id)
    requested_total = db.session.execute(_filtered(totals.select_from(Application), call, filters, review_count)).one()
    prefix = _prefix(call, filters, chosen, page * per_page)
    order = _ranking_order(prefix.c, filters.descending)
    # What the awards commit, as the envelope counts it (commitments.py); a row without one adds nothing.
    awarded = case((commits_funds(), Decision.amount_minor), else_=0)
    found = db.session.execute(
        select(
            Application.id, Application.reference, Application.title, Organisation.name, Organisation.country,
            Organisation.region_code, Organisation.stakeholder_group, Organisation.organisation_type,
            Application.requested_amount_minor, func.coalesce(kept.review_count, 0), kept.mean_score,
            kept.median_score, kept.normalised_score, kept.spread, func.coalesce(kept.disagreement, false()),
            func.coalesce(kept.review_count, 0) < call.reviews_required,
            Decision.outcome, Decision.amount_minor, Decision.is_released,
            func.sum(prefix.c.requested).over(order_by=order, rows=(None, 0)),
            func.coalesce(func.sum(awarded).over(order_by=order, rows=(None, 0)), 0),
        )
        .select_from(prefix)
        .join(Application, Application.id == prefix.c.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(kept, kept.application_id == Application.id)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .order_by(*order)
        .offset((page - 1) * per_page)
    ).all()
    rows = [
        RankingRow(*row[:14], disagreement=bool(row[14]), few_reviews=bool(row[15]), decision_outcome=row[16],
                   decision_amount_minor=row[17], decision_released=bool(row[18]),
                   running_requested_minor=int(row[19]), running_awarded_minor=int(row[20]))
        for row in found
    ]
    return rows, int(requested_total[0]), int(requested_total[1])


def _asks_scores(filters: RankingFilters) -> bool:
    """Whether a filter reads the kept scores; without one the totals read the applications' index alone."""
    return filters.score_min is not None or filters.score_max is not None or \
        filters.flag in ("disagreement", "few_reviews")


def _sort_key(filters: RankingFilters):
    """The column the rows sort by; the scores' from the kept rows, 0 reviews for an application without one."""
    kept = ApplicationScore
    return {
        "score": kept.mean_score,
        "median": kept.median_score,
        "normalised": kept.normalised_score,
        "requested": Application.requested_amount_minor,
        "reference": Application.reference,
        "reviews": func.coalesce(kept.review_count, 0),
    }[filters.sort]


def _prefix(call: Call, filters: RankingFilters, chosen, limit: int):
    """The first `limit` rows the filters keep, in the ranking's order: application_id, sort_key, reference, requested.

    Sorted by a score, the reviewed applications come from the kept scores,
    walking the index of their order (cade/reviews/models.py) and stopping
    after `limit` rows instead of sorting the whole call; the applications
    without a counted review come from a second part, and the two are sorted
    together (at most twice `limit` rows). Where every reviewed row sorts
    before every unreviewed one (the mean and the median: the unreviewed have
    none, and none sorts last), the second part asks only for the rows the
    first left over, and PostgreSQL does not run it at all once the first
    filled the page. Sorted by the amount or the reference, one sort of the
    filtered rows.
    """
    if filters.sort in ("requested", "reference"):
        return chosen.order_by(*_ranking_order(chosen.selected_columns, filters.descending)) \
            .limit(limit).subquery("prefix")
    kept = ApplicationScore
    review_count = func.coalesce(kept.review_count, 0)
    requested = func.coalesce(Application.requested_amount_minor, 0).label("requested")
    key = _sort_key(filters).label("sort_key")
    reviewed = _filtered(
        select(kept.application_id, key, kept.reference, requested)
        .select_from(kept).join(Application, Application.id == kept.application_id)
        .where(kept.call_id == call.id),
        call, filters, review_count)
    reviewed = reviewed.order_by(*_walked_order(reviewed.selected_columns, filters)).limit(limit).cte("reviewed")
    unreviewed = _filtered(
        select(Application.id.label("application_id"), key, Application.reference, requested)
        .outerjoin(kept, kept.application_id == Application.id).where(kept.application_id.is_(None)),
        call, filters, review_count)
    left_over = limit
    if filters.sort in ("score", "median"):
        left_over = limit - select(func.count()).select_from(reviewed).scalar_subquery()
    unreviewed = unreviewed.order_by(*_ranking_order(unreviewed.selected_columns, filters.descending)) \
        .limit(left_over).subquery("unreviewed")
    both = union_all(select(*reviewed.c), select(*unreviewed.c)).subquery("both")
    return select(*both.c).order_by(*_ranking_order(both.c, filters.descending)).limit(limit).subquery("prefix")


def _walked_order(columns, filters: RankingFilters) -> tuple:
    """The ranking's order on the kept scores, written as their index is (DESC with no NULLS LAST) where it can be.

    A score that is never NULL on a kept row (all but the normalised score)
    sorts the same either way, and PostgreSQL walks the index only for the
    order it was built in.
    """
    if filters.descending and filters.sort != "normalised":
        return columns.sort_key.desc(), columns.reference.asc(), columns.application_id.asc()
    return _ranking_order(columns, filters.descending)


def _ranking_order(columns, descending: bool) -> tuple:
    """The ranking's order on `columns` (sort_key, reference, application_id): unreviewed last, ties by reference."""
    key = columns.sort_key.desc() if descending else columns.sort_key.asc()
    return key.nulls_last(), columns.reference.asc().nulls_last(), columns.application_id.asc()


def _filtered(query, call: Call, filters: RankingFilters, review_count):
    """`query` (over applications and their kept scores) kept to the call's ranked applications the filters keep.

    The organisation and the decision are joined only when a filter asks for them.
    """
    kept = ApplicationScore
    query = query.where(Application.call_id == call.id, Application.status.in_([str(s) for s in RANKED_STATUSES]))
    by_organisation = [(column, value) for column, value in ((Organisation.region_code, filters.region),
                                                             (Organisation.stakeholder_group, filters.stakeholder_group),
                                                             (Organisation.organisation_type, filters.organisation_type))
                       if value]
    if by_organisation:
        query = query.join(Organisation, Organisation.id == Application.organisation_id)
        query = query.where(*(column == value for column, value in by_organisation))
    if filters.score_min is not None:
        query = query.where(kept.mean_score >= filters.score_min)
    if filters.score_max is not None:
        query = query.where(kept.mean_score <= filters.score_max)
    if filters.flag == "disagreement":
        query = query.where(kept.disagreement.is_(True))
    elif filters.flag == "few_reviews":
        query = query.where(review_count < call.reviews_required)
    elif filters.flag == "undecided":
        query = query.where(~exists().where(Decision.application_id == Application.id))
    return query


def _shares(amounts: dict[str, int], targets: dict[str, int], awarded: int) -> list[Share]:
    """Each code with an award or a target, the largest amount first."""
    codes = set(amounts) | set(targets)
    shares = [Share(code, amounts.get(code, 0), 100.0 * amounts.get(code, 0) / awarded if awarded else 0.0,
                    targets.get(code)) for code in codes]
    return sorted(shares, key=lambda share: (-share.amount_minor, share.code))
