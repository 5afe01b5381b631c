"""The data of the page benchmark (bench/pages.py): a few rows through the models, the many by COPY.

The few (`fixed_rows`) are what the three signed-in people see of their own and
never grow: an applicant in three organisations with four applications (one in
the large call, reviewed; one awarded, with its grant; one draft in an open
call), a reviewer, an administrator, one programme of 21 calls with their
questions and rubrics, and a training catalogue. The many (`add_rows`) are
made by index, so that the large scale is the small one plus the rows between
the two: application i goes to the large call when i % 10 == 0 (a tenth of
them), else to one of 18 closed calls; it has three reviews (scored and
submitted, with their assignments and declarations); applications of the first
14 closed calls are decided and released (15 % awarded, each with its grant),
one in ten of the large call's has an award decided but not released. Each
organisation has one member (its owner); reviewers have the role and a
profile. The signed-in reviewer holds the first review of the large call's
first REVIEWER_ASSIGNMENTS applications (two thirds submitted, the rest drafts).

Bulk ids start at BULK_ID (far above the rows made through the models), so
that both sets keep their ids whatever the scale.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bench.reports import NULL, _copy, countries, keep_review_scores  # COPY writer, M49 countries, kept scores

BULK_ID = 1_000_000
REVIEWER_ID = BULK_ID + 500_000  # the bulk reviewers' user ids start here; organisation owners' at BULK_ID
OTHER_CALLS = 18  # closed calls sharing the nine tenths of the applications outside the large call
RELEASED_CALLS = 14  # of those, the ones whose decisions are released
REVIEWS_PER_APPLICATION = 3
CRITERIA_PER_CALL = 3
REVIEWER_ASSIGNMENTS = 15  # the signed-in reviewer's, in the large call
REVIEWER_SUBMITTED = 10
ORGANISATIONS_PER_APPLICATION = 0.4  # 40,000 at 100,000 applications
APPLICATIONS_PER_REVIEWER = 100  # 1,000 reviewers at 100,000 applications (300 reviews each)
MIN_REVIEWERS = 10
AWARD_SHARE = 15  # per cent of a released call's applications
PASSWORD_HASH_COLUMN = "!"  # the bulk people never sign in


@dataclass(frozen=True)
class Sizes:
    applications: int

    @property
    def organisations(self) -> int:
        return max(self.applications // 18 + 1, round(self.applications * ORGANISATIONS_PER_APPLICATION))

    @property
    def reviewers(self) -> int:
        return max(MIN_REVIEWERS, self.applications // APPLICATIONS_PER_REVIEWER)


@dataclass
class World:
    """What the fixed rows are, by id: the calls (large first), their criteria, the people, the pages' ids."""

    large_call: int
    other_calls: list[int]
    open_call: int
    criteria: dict[int, list[int]]
    prefixes: dict[int, str]
    applicant: str
    reviewer: str
    reviewer_id: int
    admin: str
    own_application: int  # the applicant's, in the large call, under review
    password: str
    report_run: int = 0  # the funding summary compiled over the data as it now is (bench/pages.py compile_summary)


# -- the few, through the models ----------------------------------------------------------------------


def fixed_rows(app) -> World:
    from cade.core.db import utcnow
    from cade.extensions import db
    from cade.grants.models import Grant
    from tests.factories import (PASSWORD, ApplicationFactory, CallFactory, CallReviewSettingsFactory,
                                 CourseFactory, DecisionFactory, MembershipFactory, OrganisationFactory,
                                 ProgrammeFactory, QuestionFactory, ReviewerProfileFactory, RubricCriterionFactory,
                                 SessionFactory, UserFactory, reviewed_application)

    with app.app_context():
        now = utcnow()
        programme = ProgrammeFactory(name="Bench programme")
        admin = UserFactory(email="admin@bench.example.org", roles=["admin"])
        applicant = UserFactory(email="applicant@bench.example.org")
        reviewer = ReviewerProfileFactory(user__email="reviewer@bench.example.org", max_load=5000).user

        def call(**kwargs):
            made = CallFactory(programme=programme, reviews_required=REVIEWS_PER_APPLICATION, **kwargs)
            for position, kind in enumerate(("short_text", "long_text", "number", "choice", "date")):
                QuestionFactory(call=made, kind=kind, position=position,
                                choices=["Yes", "No"] if kind == "choice" else [])
            for position in range(CRITERIA_PER_CALL):
                RubricCriterionFactory(call=made, position=position, weight=position + 1)
            return made

        closed = {"opens_at": now - timedelta(days=400), "closes_at": now - timedelta(days=300)}
        # A budget no scale exhausts: the ranking shows the waiting list's first only while money remains.
        large = call(title="Large call (bench)", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=5),
                     budget_envelope_minor=10**13)
        CallReviewSettingsFactory(call=large)
        others = [call(**closed) for _ in range(OTHER_CALLS)]
        opened = [call(), call()]
        call(opens_at=now + timedelta(days=10), closes_at=now + timedelta(days=60))  # upcoming
        for course in range(6):
            for session in range(3):
                SessionFactory(course=CourseFactory(title=f"Bench course {course}"),
                               starts_at=now + timedelta(days=10 + 7 * session))

        organisations = [OrganisationFactory(name=f"Applicant organisation {n}") for n in range(3)]
        for organisation in organisations:
            MembershipFactory(user=applicant, organisation=organisation)
        own = reviewed_application(large, reviews=REVIEWS_PER_APPLICATION, scores=[4, 3, 5],
                                   organisation=organisations[0], title="The applicant's application")
        ApplicationFactory(call=opened[0], organisation=organisations[0], title="A draft")
        awarded = ApplicationFactory(call=others[0], organisation=organisations[1], submitted=True,
                                     status="awarded", title="An awarded application")
        decision = DecisionFactory(application=awarded, released_at=now - timedelta(days=200),
                                   accepted_at=now - timedelta(days=190))
        db.session.add(Grant(decision_id=decision.id, organisation_id=awarded.organisation_id, call_id=awarded.call_id,
                             amount_minor=decision.amount_minor, currency=decision.currency, status="active",
                             agreement_stored_name="bench/agreement.pdf", agreement_size=1, agreement_sha256="0" * 64,
                             agreement_language="en", created_at=now - timedelta(days=190)))
        ApplicationFactory(call=others[1], organisation=organisations[2], submitted=True, status="rejected",
                           title="A rejected application")
        db.session.commit()
        world = World(
            large_call=large.id, other_calls=[c.id for c in others], open_call=opened[0].id,
            criteria={c.id: [criterion.id for criterion in c.criteria] for c in [large, *others]},
            prefixes={c.id: c.reference_prefix for c in [large, *others]},
            applicant=applicant.email, reviewer=reviewer.email, reviewer_id=reviewer.id, admin=admin.email,
            own_application=own.id, password=PASSWORD)
        db.session.remove()
        db.engine.dispose()
    return world


# -- the many, by COPY --------------------------------------------------------------------------------


class Placement:
    """Where bulk application i goes, and what became of it, from i alone (so that growing adds rows)."""

    def __init__(self, world: World, now: datetime):
        self.world, self.now = world, now

    def call_of(self, i: int) -> tuple[int, int]:
        """(call id, organisation index); the pair is unique for every i."""
        if i % 10 == 0:
            return self.world.large_call, i // 10
        j = i - i // 10 - 1
        return self.world.other_calls[j % OTHER_CALLS], j // OTHER_CALLS

    def released(self, call_id: int) -> bool:
        return call_id in self.world.other_calls[:RELEASED_CALLS]

    def awarded(self, i: int) -> bool:
        return (i * 37) % 100 < AWARD_SHARE

    def status(self, i: int) -> str:
        call_id, _ = self.call_of(i)
        if self.released(call_id):
            return "awarded" if self.awarded(i) else "rejected"
        return "under_review"

    def reviewer(self, i: int, slot: int, reviewers: int) -> int:
        """The user id of the reviewer of application i's review `slot` (distinct slots, distinct people)."""
        if slot == 0 and i % 10 == 0 and i // 10 < REVIEWER_ASSIGNMENTS:
            return self.world.reviewer_id
        return REVIEWER_ID + (i + 7 * slot) % reviewers


def add_rows(url: str, world: World, before: Sizes, after: Sizes, now: datetime) -> dict[str, int]:
    """COPY the rows between the two sizes (before = Sizes(0) the first time); returns rows written a table."""
    import psycopg

    place = Placement(world, now)
    places = countries()
    written = {}
    with psycopg.connect(url) as conn:
        growing = before.applications > 0  # growing: the rows of `before` are there already
        organisations = range(before.organisations if growing else 0, after.organisations)
        written["organisations"] = _copy(
            conn, "organisations", "id, name, country, region_code, subregion_code, organisation_type, "
            "stakeholder_group, focus_areas, languages, verified, publish_consent",
            (f"{BULK_ID + n}\tOrganisation {n}\t{places[n % len(places)]['iso_alpha2']}\t"
             f"{places[n % len(places)]['region_code']}\t{places[n % len(places)]['subregion_code']}\tngo\t"
             f"civil_society\t[\"connectivity\"]\t[\"en\"]\tt\tf\n" for n in organisations))
        reviewers = range(before.reviewers if growing else 0, after.reviewers)
        people = [(BULK_ID + n, f"member{n}@org{n}.bench.example.org", f"Member {n}") for n in organisations]
        people += [(REVIEWER_ID + n, f"reviewer{n}@bench.example.org", f"Reviewer {n}") for n in reviewers]
        written["users"] = _copy(conn, "users", "id, email, password_hash, name, locale, timezone, active, "
                                 "session_version, verified_at",
                                 (f"{uid}\t{email}\t{PASSWORD_HASH_COLUMN}\t{name}\ten\tUTC\tt\t1\t{now.isoformat()}\n"
                                  for uid, email, name in people))
        written["memberships"] = _copy(conn, "memberships", "id, user_id, organisation_id, role",
                                       (f"{BULK_ID + n}\t{BULK_ID + n}\t{BULK_ID + n}\towner\n" for n in organisations))
        written["user_roles"] = _copy(conn, "user_roles", "id, user_id, role",
                                      (f"{BULK_ID + n}\t{REVIEWER_ID + n}\treviewer\n" for n in reviewers))
        written["reviewer_profiles"] = _copy(
            conn, "reviewer_profiles", "id, user_id, expertise, languages, regions, max_load",
            (f"{BULK_ID + n}\t{REVIEWER_ID + n}\t[\"connectivity\"]\t[\"en\"]\t[\"002\"]\t5000\n"
             for n in reviewers))
        pool = after.reviewers
        indices = range(before.applications, after.applications)
        submitted_at = now - timedelta(days=20)

        def application_lines():
            for i in indices:
                call_id, organisation = place.call_of(i)
                n = organisation
                country = places[n % len(places)]
                yield (f"{BULK_ID + i}\t{call_id}\t{BULK_ID + n}\t{place.status(i)}\t"
                       f"{world.prefixes[call_id]}-B{i:07d}\tProject {i}\t\t{500_000 + (i % 40) * 10_000}\t"
                       f"{submitted_at.isoformat()}\t{country['iso_alpha2']}\t{country['region_code']}\t"
                       f"{country['subregion_code']}\tcivil_society\tngo\t"
                       f"{'t' if country['ldc'] == '1' else 'f'}\t{'t' if country['lldc'] == '1' else 'f'}\t"
                       f"{'t' if country['sids'] == '1' else 'f'}\tf\n")

        written["applications"] = _copy(
            conn, "applications", "id, call_id, organisation_id, status, reference, title, summary, "
            "requested_amount_minor, submitted_at, org_country, org_region_code, org_subregion_code, "
            "org_stakeholder_group, org_type, org_ldc, org_lldc, org_sids, org_first_time", application_lines())

        def review_rows():
            for i in indices:
                call_id, _ = place.call_of(i)
                for slot in range(REVIEWS_PER_APPLICATION):
                    reviewer = place.reviewer(i, slot, pool)
                    draft = reviewer == world.reviewer_id and i // 10 >= REVIEWER_SUBMITTED
                    yield BULK_ID + i * REVIEWS_PER_APPLICATION + slot, i, call_id, reviewer, draft, slot

        assigned = (now - timedelta(days=4)).isoformat()
        due = (now + timedelta(days=10)).isoformat()
        written["assignments"] = _copy(
            conn, "assignments", "id, call_id, application_id, reviewer_id, method, assigned_at, due_at",
            (f"{rid}\t{call_id}\t{BULK_ID + i}\t{reviewer}\tauto\t{assigned}\t{due}\n"
             for rid, i, call_id, reviewer, _, _ in review_rows()))
        written["conflict_declarations"] = _copy(
            conn, "conflict_declarations", "id, application_id, reviewer_id, has_conflict, reason, declared_at",
            (f"{rid}\t{BULK_ID + i}\t{reviewer}\tf\t{NULL}\t{assigned}\n"
             for rid, i, call_id, reviewer, _, _ in review_rows()))
        recommendations = ("fund", "fund_with_changes", "do_not_fund")
        written["reviews"] = _copy(
            conn, "reviews", "id, assignment_id, call_id, application_id, reviewer_id, status, recommendation, "
            "comment_to_applicant, confidential_comment, submitted_at",
            (f"{rid}\t{rid}\t{call_id}\t{BULK_ID + i}\t{reviewer}\t"
             + (f"draft\t{NULL}\t\t\t{NULL}\n" if draft else
                f"submitted\t{recommendations[(i + slot) % 3]}\tFine.\t\t{(now - timedelta(days=2)).isoformat()}\n")
             for rid, i, call_id, reviewer, draft, slot in review_rows()))
        written["review_scores"] = _copy(
            conn, "review_scores", "id, review_id, criterion_id, score",
            (f"{rid * CRITERIA_PER_CALL + c - BULK_ID * (CRITERIA_PER_CALL - 1)}\t{rid}\t{criterion}\t"
             f"{(i * 7 + slot * 3 + c) % 5 + 1}\n"
             for rid, i, call_id, reviewer, draft, slot in review_rows() if not draft
             for c, criterion in enumerate(world.criteria[call_id])))

        decided = [i for i in indices if place.released(place.call_of(i)[0]) or
                   (place.call_of(i)[0] == world.large_call and i % 100 == 0)]
        decided_at = now - timedelta(days=250)

        def decision_lines():
            for i in decided:
                call_id, _ = place.call_of(i)
                if call_id == world.large_call:
                    yield (f"{BULK_ID + i}\t{BULK_ID + i}\t{call_id}\taward\t500000\tUSD\tWell done.\tStrong.\t"
                           f"{now.isoformat()}\tdecided\t{NULL}\t{NULL}\n")
                elif place.awarded(i):
                    yield (f"{BULK_ID + i}\t{BULK_ID + i}\t{call_id}\taward\t500000\tUSD\tWell done.\tStrong.\t"
                           f"{decided_at.isoformat()}\treleased\t{(decided_at + timedelta(days=5)).isoformat()}\t"
                           f"{(decided_at + timedelta(days=10)).isoformat()}\n")
                else:
                    yield (f"{BULK_ID + i}\t{BULK_ID + i}\t{call_id}\treject\t{NULL}\tUSD\tSorry.\tWeak.\t"
                           f"{decided_at.isoformat()}\treleased\t{(decided_at + timedelta(days=5)).isoformat()}\t{NULL}\n")

        written["decisions"] = _copy(conn, "decisions", "id, application_id, call_id, outcome, amount_minor, "
                                     "currency, feedback, rationale, decided_at, status, released_at, accepted_at",
                                     decision_lines())
        written["grants"] = _copy(
            conn, "grants", "id, decision_id, organisation_id, call_id, amount_minor, currency, status, "
            "agreement_stored_name, agreement_size, agreement_sha256, agreement_language, created_at",
            (f"{BULK_ID + i}\t{BULK_ID + i}\t{BULK_ID + place.call_of(i)[1]}\t{place.call_of(i)[0]}\t500000\tUSD\t"
             f"active\tbench/agreement.pdf\t1\t{'0' * 64}\ten\t{(decided_at + timedelta(days=10)).isoformat()}\n"
             for i in decided if place.call_of(i)[0] != world.large_call and place.awarded(i)))
        # The calls' reference counters, as submissions would have left them (a new reference must not collide).
        conn.execute("UPDATE calls SET last_reference_number = last_reference_number + counted.n FROM "
                     "(SELECT call_id, count(*) AS n FROM applications WHERE id >= %s AND id < %s GROUP BY call_id) "
                     "AS counted WHERE counted.call_id = calls.id",
                     (BULK_ID + before.applications, BULK_ID + after.applications))
        for table in ("organisations", "users", "memberships", "user_roles", "reviewer_profiles", "applications",
                      "assignments", "conflict_declarations", "reviews", "review_scores", "decisions", "grants"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    keep_review_scores(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return written


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
