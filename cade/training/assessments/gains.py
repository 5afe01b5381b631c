"""Capacity gain: what an organisation's latest submitted follow-up scores above its submitted baseline.

The gain of one organisation in one dimension is (latest follow-up score −
baseline score), on the 1–5 scale, so from −4 to +4. "Latest" is the
follow-up submitted last (ties: the later row). An organisation counts once
it has both; one with a baseline only has no gain yet and is left out, not
counted as zero.

Across organisations the figures are means over organisations, computed in
SQL from one CTE (`_pairs`: organisation, dimension, before, after) with a
window function to pick the latest follow-up, so each table is one GROUP BY
statement whatever the number of organisations. By region: the
organisation's UN M49 region. By course: organisations one of whose members
holds a certificate of the course that is not revoked (an organisation with
two such members counts once).
"""

from dataclasses import dataclass, field

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import aliased, selectinload

from cade.extensions import db
from cade.organisations.models import Membership, Organisation
from cade.training.assessments.models import AssessmentKind, AssessmentStatus, AssessmentScore, CapacityAssessment
from cade.training.constants import CapacityDimension
from cade.training.models import Certificate, Course

DIMENSIONS = tuple(CapacityDimension)


@dataclass(frozen=True)
class DimensionGain:
    dimension: str
    before: float | None
    after: float | None
    organisations: int = 1

    @property
    def gain(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 2)


@dataclass(frozen=True)
class GroupGains:
    """One row of a table by region or by course: the mean gain per dimension over its organisations."""

    key: object
    label: str
    organisations: int
    gains: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    """An organisation's baseline and latest submitted follow-up, and the gain in each dimension."""

    baseline: CapacityAssessment | None
    follow_up: CapacityAssessment | None
    rows: list[DimensionGain]


def organisation_assessments(organisation_id: int) -> list[CapacityAssessment]:
    """The organisation's assessments, baseline first then follow-ups by due date and id, with scores and
    courses (two statements)."""
    return list(db.session.scalars(
        select(CapacityAssessment).options(selectinload(CapacityAssessment.scores),
                                           selectinload(CapacityAssessment.course))
        .where(CapacityAssessment.organisation_id == organisation_id)
        .order_by((CapacityAssessment.kind == AssessmentKind.FOLLOW_UP), CapacityAssessment.id)))


def compare(assessments: list[CapacityAssessment]) -> Comparison:
    """Baseline against the latest submitted follow-up, from an organisation's loaded assessments."""
    submitted = [a for a in assessments if a.status == AssessmentStatus.SUBMITTED]
    baseline = next((a for a in submitted if a.kind == AssessmentKind.BASELINE), None)
    follow_ups = [a for a in submitted if a.kind == AssessmentKind.FOLLOW_UP]
    latest = max(follow_ups, key=lambda a: (a.submitted_at, a.id)) if follow_ups else None
    rows = []
    for dimension in DIMENSIONS:
        before = baseline.score_for(dimension) if baseline else None
        after = latest.score_for(dimension) if latest else None
        rows.append(DimensionGain(dimension, getattr(before, "score", None), getattr(after, "score", None)))
    return Comparison(baseline, latest, rows)


def _pairs():
    """(organisation_id, dimension, before, after) for every organisation with a baseline and a follow-up."""
    ranked = (select(CapacityAssessment.organisation_id, CapacityAssessment.id.label("assessment_id"),
                     func.row_number().over(partition_by=CapacityAssessment.organisation_id,
                                            order_by=(CapacityAssessment.submitted_at.desc(),
                                                      CapacityAssessment.id.desc())).label("rank"))
              .where(CapacityAssessment.kind == AssessmentKind.FOLLOW_UP,
                     CapacityAssessment.status == AssessmentStatus.SUBMITTED)).subquery("ranked")
    baseline = aliased(CapacityAssessment)
    before, after = aliased(AssessmentScore), aliased(AssessmentScore)
    return (select(baseline.organisation_id.label("organisation_id"), before.dimension.label("dimension"),
                   before.score.label("before"), after.score.label("after"))
            .select_from(baseline)
            .join(before, before.assessment_id == baseline.id)
            .join(ranked, and_(ranked.c.organisation_id == baseline.organisation_id, ranked.c.rank == 1))
            .join(after, and_(after.assessment_id == ranked.c.assessment_id, after.dimension == before.dimension))
            .where(baseline.kind == AssessmentKind.BASELINE, baseline.status == AssessmentStatus.SUBMITTED,
                   before.score.is_not(None), after.score.is_not(None))).cte("pairs")


def _mean(value):
    return func.avg(cast(value, Float))


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def gains_by_dimension() -> list[DimensionGain]:
    """Mean baseline, mean latest follow-up and so mean gain per dimension, over organisations (one statement)."""
    pairs = _pairs()
    found = {dimension: (before, after, count) for dimension, before, after, count in db.session.execute(
        select(pairs.c.dimension, _mean(pairs.c.before), _mean(pairs.c.after),
               func.count(func.distinct(pairs.c.organisation_id))).group_by(pairs.c.dimension))}
    return [DimensionGain(d, _round(found[d][0]), _round(found[d][1]), found[d][2]) if d in found
            else DimensionGain(d, None, None, 0) for d in DIMENSIONS]


def _groups(rows) -> list[GroupGains]:
    groups: dict = {}
    for key, label, dimension, gain, count in rows:
        group = groups.setdefault(key, GroupGains(key, label, 0))
        group.gains[dimension] = _round(gain)
        groups[key] = GroupGains(key, label, max(group.organisations, count), group.gains)
    return list(groups.values())


def gains_by_region() -> list[GroupGains]:
    """Mean gain per dimension for each region (the organisation's M49 region code), by code (one statement)."""
    pairs = _pairs()
    rows = db.session.execute(
        select(Organisation.region_code, Organisation.region_code, pairs.c.dimension,
               _mean(pairs.c.after - pairs.c.before), func.count(func.distinct(pairs.c.organisation_id)))
        .join(Organisation, Organisation.id == pairs.c.organisation_id)
        .group_by(Organisation.region_code, pairs.c.dimension)
        .order_by(Organisation.region_code, pairs.c.dimension))
    return _groups(rows)


def gains_by_course() -> list[GroupGains]:
    """Mean gain per dimension for each course, over organisations a member of which holds its certificate
    (one statement)."""
    pairs = _pairs()
    took = (select(Membership.organisation_id, Certificate.course_id)
            .join(Certificate, Certificate.user_id == Membership.user_id)
            .where(Certificate.revoked_at.is_(None)).distinct().subquery("took"))
    rows = db.session.execute(
        select(Course.id, Course.title, pairs.c.dimension, _mean(pairs.c.after - pairs.c.before),
               func.count(func.distinct(pairs.c.organisation_id)))
        .select_from(pairs)
        .join(took, took.c.organisation_id == pairs.c.organisation_id)
        .join(Course, Course.id == took.c.course_id)
        .group_by(Course.id, Course.title, pairs.c.dimension)
        .order_by(Course.title, Course.id, pairs.c.dimension))
    return _groups(rows)
