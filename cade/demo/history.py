"""Three years of past calls with released decisions, so that every chart of the funding summary has something to show.

Past rounds of the CADE and Community Network programmes (2024, 2025 and an
early 2026 round) received applications from organisations in Africa, Asia,
Latin America and the Caribbean, Northern America, Europe and Oceania, of
every stakeholder group; their decisions were released long ago. The CADE
programme's representation targets carry the baseline the project started
from: at the IGF only 8 % of participants came from Africa, 7 % from Latin
America and the Caribbean and 14 % from the technical community. Amounts and
outcomes come from a fixed pseudo-random sequence, so every seed is the same.
Rows are found by their natural keys first: seeding twice adds nothing.
"""

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from cade.accounts.models import User
from cade.applications.models import Application, BudgetLine
from cade.applications.snapshots import snapshot_applicant
from cade.awards.constants import RELEASED_STATUS, DecisionOutcome, DecisionStatus
from cade.awards.models import Decision
from cade.core.money import to_minor
from cade.core.rates import ExchangeRate
from cade.demo import data
from cade.extensions import db
from cade.organisations.models import Membership, Organisation
from cade.programmes.models import Call
from cade.reports.models import RepresentationTarget

# (country, stakeholder group, organisation type, focus areas): one past applicant each.
PAST_APPLICANTS = [
    ("NG", "civil_society", "ngo", ["digital_rights"]),
    ("GH", "technical_community", "community_network", ["connectivity"]),
    ("ZA", "academia", "academic", ["internet_governance", "education"]),
    ("ET", "civil_society", "network", ["digital_rights", "internet_governance"]),
    ("RW", "private_sector", "social_enterprise", ["connectivity"]),
    ("CD", "civil_society", "informal_group", ["digital_security"]),
    ("BO", "technical_community", "community_network", ["connectivity"]),
    ("CO", "civil_society", "ngo", ["digital_rights", "gender"]),
    ("HT", "civil_society", "ngo", ["connectivity", "education"]),
    ("JM", "academia", "academic", ["internet_governance"]),
    ("MX", "technical_community", "network", ["connectivity"]),
    ("PE", "government", "ngo", ["internet_governance"]),
    ("BD", "civil_society", "ngo", ["digital_security"]),
    ("NP", "technical_community", "community_network", ["connectivity"]),
    ("ID", "academia", "academic", ["digital_rights"]),
    ("PH", "civil_society", "network", ["gender", "digital_rights"]),
    ("KH", "private_sector", "social_enterprise", ["education"]),
    ("FJ", "civil_society", "ngo", ["connectivity"]),
    ("PG", "technical_community", "community_network", ["connectivity"]),
    ("VU", "civil_society", "informal_group", ["digital_rights"]),
    ("UA", "civil_society", "ngo", ["digital_security"]),
    ("MD", "academia", "academic", ["internet_governance"]),
    ("CA", "technical_community", "network", ["internet_governance"]),
    ("US", "civil_society", "ngo", ["digital_rights"]),
]

# (call title, programme key, year, reference prefix, time zone, opens on, closes on)
PAST_CALLS = [
    ("CADE 2024: Organisational Capacity Grants", "cade", "CADE-2024", "Europe/Brussels",
     date(2024, 2, 1), date(2024, 3, 31)),
    ("Community Network Grants 2025", "cng", "CNG-2025", "America/New_York", date(2025, 1, 15), date(2025, 3, 15)),
    ("CADE 2025: Organisational Capacity Grants", "cade", "CADE-OC-2025", "Europe/Brussels",
     date(2025, 2, 1), date(2025, 3, 31)),
    ("CADE 2026: Early Round", "cade", "CADE-2026E", "Europe/Brussels", date(2026, 1, 10), date(2026, 2, 28)),
]

BASELINE_SOURCE = "IGF participation as cited in the CADE programme brief (8 % Africa, 7 % LAC, 14 % technical)"
# (dimension, value, target share, baseline share) on the CADE programme.
CADE_TARGETS = [
    ("region", "002", Decimal("0.30"), Decimal("0.08")),
    ("subregion", "419", Decimal("0.20"), Decimal("0.07")),
    ("stakeholder_group", "technical_community", Decimal("0.25"), Decimal("0.14")),
]
# EUR → USD on the first day of each year (demo values; an administrator keeps the real ones).
DEMO_RATES = [(date(2024, 1, 1), Decimal("1.1050")), (date(2025, 1, 1), Decimal("1.0389")),
              (date(2026, 1, 1), Decimal("1.1720"))]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def seed_history(seeder, programmes: dict) -> None:
    """Add the past applicants, calls, released decisions, targets and rates that are missing."""
    _know_existing(seeder)
    organisations = [seeder.organisation(_applicant_spec(index, *applicant))
                     for index, applicant in enumerate(PAST_APPLICANTS)]
    calls = []
    for title, programme_key, prefix, zone, opens, closes in PAST_CALLS:
        spec = _call_spec(title, prefix, zone, opens, closes, seeder.now, programme_key)
        calls.append(seeder.call(spec, programmes[programme_key]))
    db.session.flush()
    existing = set(db.session.execute(select(Application.call_id, Application.organisation_id)).tuples())
    for call in calls:
        made = []
        for index, organisation in enumerate(organisations):
            chance = random.Random(f"{call.reference_prefix}:{index}")  # the same draw for a pair, run after run
            if chance.random() < 0.35 or (call.id, organisation.id) in existing:
                continue  # not every organisation applied to every round
            made.append(_past_application(seeder, call, organisation, chance))
        # References follow the order of submission, gapless, as submission gives them.
        for application in sorted(made, key=lambda a: (a.submitted_at, a.organisation_id)):
            call.last_reference_number += 1
            application.reference = f"{call.reference_prefix}-{call.last_reference_number:04d}"
    db.session.flush()
    for call in calls:
        for application in db.session.scalars(select(Application).where(Application.call_id == call.id,
                                                                         Application.org_country.is_(None))
                                              .order_by(Application.submitted_at)):
            snapshot_applicant(application)
    _targets(seeder, programmes["cade"])
    _rates(seeder)


def _know_existing(seeder) -> None:
    """Tell the seeder which past applicants, their people and past calls already exist (found by natural key)."""
    specs = [_applicant_spec(index, *applicant) for index, applicant in enumerate(PAST_APPLICANTS)]
    names = [spec["name"] for spec in specs]
    emails = [member[0] for spec in specs for member in spec["members"]]
    titles = [call[0] for call in PAST_CALLS]
    seeder.organisations.update({o.name: o for o in db.session.scalars(select(Organisation)
                                                                       .where(Organisation.name.in_(names)))})
    seeder.users.update({u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))})
    seeder.calls.update({c.title: c for c in db.session.scalars(select(Call).where(Call.title.in_(titles)))})
    seeder.memberships |= set(db.session.execute(
        select(Membership.user_id, Membership.organisation_id).join(User, User.id == Membership.user_id)
        .where(User.email.in_(emails))).tuples())


def _applicant_spec(index, country, group, kind, areas) -> dict:
    return dict(key=f"past-{index}", name=f"Past Applicant {index + 1:02d} ({country})", acronym=None,
                country=country, city=None, website=None, organisation_type=kind, stakeholder_group=group,
                year_founded=2010 + index % 12, staff_band="1-5", budget=None, focus_areas=areas,
                languages=["en"], registration_number=None, verified=True, publish_consent=index % 3 != 0,
                description="An organisation that applied to earlier rounds (demo history).",
                members=[(f"past{index + 1:02d}@history.example", f"Past Applicant {index + 1:02d}", "en", "UTC")])


def _call_spec(title, prefix, zone, opens: date, closes: date, now: datetime, programme_key: str) -> dict:
    def hours(day: date) -> int:
        return int((_at(day) - now).total_seconds() // 3600)

    return dict(title=title, reference_prefix=prefix, timezone=zone, opens_in_hours=hours(opens),
                closes_in_hours=hours(closes), budget_envelope=400_000, min_award=5_000, max_award=60_000,
                reviews_required=2, blind_review=False,
                questions=data.CADE_QUESTIONS if programme_key == "cade" else data.CN_QUESTIONS,
                rubric=data.CADE_RUBRIC if programme_key == "cade" else data.CN_RUBRIC,
                description="An earlier round; its decisions have been released (demo history).")


def _past_application(seeder, call, organisation, chance: random.Random) -> Application:
    currency = call.programme.currency
    submitted = call.closes_at - timedelta(days=chance.randint(1, 40), hours=chance.randint(0, 23))
    requested = to_minor(chance.randrange(8_000, 60_000, 500), currency)
    outcome = chance.choices([DecisionOutcome.AWARD, DecisionOutcome.REJECT, DecisionOutcome.WAITLIST],
                             weights=[45, 45, 10])[0]
    owner = next(m.user for m in organisation.memberships if m.role == "owner")
    application = Application(call=call, organisation=organisation, created_by=owner,
                              status=RELEASED_STATUS[outcome], title=f"Strengthening {organisation.name}",
                              summary="A past application (demo history).", requested_amount_minor=requested,
                              submitted_at=submitted, created_at=submitted - timedelta(days=5),
                              updated_at=submitted)
    staff = requested * 3 // 5
    application.budget_lines = [
        BudgetLine(position=0, category="personnel", description="Staff time", amount_minor=staff),
        BudgetLine(position=1, category="operations", description="Operations", amount_minor=requested - staff),
    ]
    db.session.add(application)
    amount = None
    if outcome == DecisionOutcome.AWARD:
        amount = min(requested, to_minor(chance.randrange(5_000, 50_000, 500), currency))
    released = call.closes_at + timedelta(days=60)
    db.session.add(Decision(application=application, call_id=call.id, outcome=outcome, amount_minor=amount,
                            currency=currency, feedback="Thank you for applying.", rationale="Demo history.",
                            decided_at=released - timedelta(days=7), status=DecisionStatus.RELEASED,
                            released_at=released, released_feedback="Thank you for applying.",
                            released_comments=[]))
    seeder.report.created["past applications"] += 1
    return application


def _targets(seeder, programme) -> None:
    db.session.flush()
    existing = set(db.session.execute(select(RepresentationTarget.dimension, RepresentationTarget.value)
                                      .where(RepresentationTarget.programme_id == programme.id)).tuples())
    for dimension, value, target, baseline in CADE_TARGETS:
        if (dimension, value) not in existing:
            db.session.add(RepresentationTarget(programme_id=programme.id, dimension=dimension, value=value,
                                                target_share=target, baseline_share=baseline,
                                                baseline_source=BASELINE_SOURCE))
            seeder.report.created["representation targets"] += 1


def _rates(seeder) -> None:
    existing = set(db.session.scalars(select(ExchangeRate.rate_date).where(
        ExchangeRate.from_currency == "EUR", ExchangeRate.to_currency == "USD")))
    for day, rate in DEMO_RATES:
        if day not in existing:
            db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=rate, rate_date=day,
                                        source="Demo rate (not an official reference rate)"))
            seeder.report.created["exchange rates"] += 1
