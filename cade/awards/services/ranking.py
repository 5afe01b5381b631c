"""The ranking of a call's applications for deciding, and where the awarded money goes (issue 3, item 6).

Five queries whatever the number of applications: the call, its review
settings, the totals of the rows the filters keep, one page of ranked rows, and the
awarded amounts by region and stakeholder group.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, false, func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.awards.services.commitments import commits_funds, committed_amount
from cade.core.errors import NotFound, ValidationFailed
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
class Ranking:
    rows: list[RankingRow]
    envelope_minor: int
    awarded_minor: int  # every award decision of the call, whatever the filters
    remaining_minor: int
    requested_total_minor: int  # every row the filters keep, on all pages
    region_shares: list[Share] = field(default_factory=list)
    stakeholder_shares: list[Share] = field(default_factory=list)
    total_rows: int = 0  # rows the filters keep, on all pages
    page: int = 1
    per_page: int = RANKING_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.per_page))

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


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
    region_amounts, stakeholder_amounts = _awarded_amounts(call_id)
    awarded = sum(region_amounts.values())
    return Ranking(
        rows=rows,
        envelope_minor=call.budget_envelope_minor,
        awarded_minor=awarded,
        remaining_minor=call.budget_envelope_minor - awarded,
        requested_total_minor=requested_total,
        region_shares=_shares(region_amounts, settings.region_targets or {}, awarded),
        stakeholder_shares=_shares(stakeholder_amounts, settings.stakeholder_targets or {}, awarded),
        total_rows=total_rows,
        page=page,
        per_page=per_page,
    )


def _ranked_rows(call: Call, filters: RankingFilters, page: int, per_page: int) -> tuple[list[RankingRow], int, int]:
    """One page of rows, the number of rows on all pages and their requested total, in two queries.

    The rows up to the end of the page are chosen first from narrow columns
    (the kept scores, the application's reference and amount), so the page's
    joins and running totals cover those rows only, not the whole call; the
    running totals still count every row above, on earlier pages too. The
    totals are one aggregate over the same filtered rows.
    """
    kept = ApplicationScore
    review_count = func.coalesce(kept.review_count, 0)
    sort_key = {
        "score": kept.mean_score,
        "median": kept.median_score,
        "normalised": kept.normalised_score,
        "requested": Application.requested_amount_minor,
        "reference": Application.reference,
        "reviews": review_count,
    }[filters.sort]
    chosen = _filtered(
        select(Application.id.label("application_id"), sort_key.label("sort_key"), Application.reference,
               func.coalesce(Application.requested_amount_minor, 0).label("requested"))
        .outerjoin(kept, kept.application_id == Application.id),
        call, filters, review_count)
    filtered = chosen.subquery("filtered")
    requested_total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(filtered.c.requested), 0))).one()
    prefix = chosen.order_by(*_ranking_order(chosen.selected_columns, filters.descending)) \
        .limit(page * per_page).subquery("prefix")
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


def _awarded_amounts(call_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Committed amounts by organisation region and by stakeholder group, from one pass over the call's awards.

    Grouped by both at once (at most regions × groups rows), then added up each way here: one scan of the
    awards instead of one per breakdown.
    """
    regions: dict[str, int] = defaultdict(int)
    groups: dict[str, int] = defaultdict(int)
    for region, group, amount in db.session.execute(
        select(Organisation.region_code, Organisation.stakeholder_group, committed_amount())
        .join(Application, Application.id == Decision.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Decision.call_id == call_id, commits_funds())  # a region with no award gets no share row
        .group_by(Organisation.region_code, Organisation.stakeholder_group)
    ):
        regions[region] += int(amount or 0)
        groups[group] += int(amount or 0)
    return dict(regions), dict(groups)


def _shares(amounts: dict[str, int], targets: dict[str, int], awarded: int) -> list[Share]:
    """Each code with an award or a target, the largest amount first."""
    codes = set(amounts) | set(targets)
    shares = [Share(code, amounts.get(code, 0), 100.0 * amounts.get(code, 0) / awarded if awarded else 0.0,
                    targets.get(code)) for code in codes]
    return sorted(shares, key=lambda share: (-share.amount_minor, share.code))
