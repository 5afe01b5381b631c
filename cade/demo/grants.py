"""The demo's grants (issue 11): offers answered, grants opened and tranches paid, all through the real services.

On the demo's released awards (cade/demo/review_data.py; their offers got
their deadlines where the demo releases them, cade/demo/reviews.py):

- CADE 2025, Kijiji Connect (the demo applicant's organisation): the offer
  waits, its deadline ahead; sign in as applicant@cade.example to accept it
  and download the agreement.
- CADE 2025, ATLN (Tunisia): accepted the day after release; the grant is
  open with its agreement and its first tranche (40 % on signature) is paid.
- CADE 2025, Pacific Islands Digital Rights Collective: declined; the call's
  first waitlisted application (Collectif Sahel Données Ouvertes) was
  proposed to the administrators and awarded from the waiting list, so its
  own offer now waits.
- WSIS Forum 2026 (travel): Himalayan accepted and paid, Pacific accepted
  with its payment still to record, and Nablus never answered, so the
  lapse sweep lapsed its offer when its deadline passed.

After the first payments, the reports (`_report_stages`), on awards of the
past rounds (cade/demo/history.py), released long ago, whose reports fell due:

- Community Network Grants 2025, Past Applicant 11 (MX): its interim report
  (with the two questions the call asks of its own) was submitted and
  approved with its indicator values, which unlocked the second tranche,
  since paid.
- Community Network Grants 2025, Past Applicant 07 (BO): both reports
  approved with their values and every tranche paid, so the grant closed;
  the unspent balance is recorded as returned.
- CADE 2026 Early Round, Past Applicant 13 (BD): the interim report was
  submitted and sent back with comments; it waits for the grantee (14 days
  to fix it, then overdue).
- CADE 2026 Early Round, Past Applicant 06 (CD): accepted in spring 2026,
  first tranche paid, interim report never sent: overdue. Its owner
  (past06@history.example) can try to apply to CADE 2026, and the apply
  page says which report blocks it and its due date.

The community-network and capacity-development programmes have their
suggested indicators, and each of these grants (and ATLN's) its targets.
Only the two community networks report approved values, so the funding
summary's indicator tables stay short.

The grant calls (not the travel calls, which keep the default single
payment on signature) and the two past rounds above get the schedule 40 %
on signature, 40 % on the interim report, 20 % on the final report, through
the tranche service, before any offer is accepted; Community Network Grants
2025 also asks its reports after 540 and 730 days (two-year grants). Each
step runs only while its object is still in the state the step starts from,
so seeding twice adds nothing; services flush, the command commits.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services import offers
from cade.core.db import utcnow
from cade.core.money import minor_units
from cade.core.questionnaires import Question
from cade.demo import data
from cade.demo.payees import ready_for_payment
from cade.extensions import db
from cade.grants.closure import ReturnedInput, paid_out_minor, record_returned
from cade.grants.constants import (SPEND_VARIANCE_EXPLAIN, GrantStatus, ReportKind, ReportStatus, TrancheCondition,
                                   TrancheStatus)
from cade.grants.indicators import (TargetsInput, add_suggested_indicators, grant_programme_id, indicators_of,
                                    set_targets)
from cade.grants.models import Grant, GrantReport, IndicatorTarget
from cade.grants.report_templates import (ReportScheduleInput, add_report_question, set_report_schedule,
                                          templates_of)
from cade.grants.reports import ReportInput, approve_report, questions_of, reports_of, request_changes, submit_report
from cade.grants.services import grant_for_decision
from cade.grants.tranches import PaymentInput, has_own_schedule, pay_tranche, set_schedule, tranches_of
from cade.organisations.models import Organisation
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call, Programme
from cade.programmes.services.questions import QuestionInput

ADMIN_EMAIL = "admin@cade.example"

# 40 % on signature, 40 % on the interim report's approval, 20 % on the final report's (days after acceptance).
DEMO_SCHEDULE = [
    {"share": "40", "condition": TrancheCondition.ON_SIGNATURE, "days": "0"},
    {"share": "40", "condition": TrancheCondition.INTERIM_REPORT_APPROVED, "days": "200"},
    {"share": "20", "condition": TrancheCondition.FINAL_REPORT_APPROVED, "days": "380"},
]
SCHEDULED_PROGRAMMES = ("cade", "cng")  # travel support is paid at once, on signature

# (call key, organisation key) of each stage.
WAITING = ("cade-2025", "kijiji")
ACCEPTED_PAID = ("cade-2025", "tunisia")
DECLINED = ("cade-2025", "pacific")
WAITLISTED = ("cade-2025", "sahel")
TRAVEL_PAID = ("wsis-2026", "himalayan")
TRAVEL_UNPAID = ("wsis-2026", "pacific")
LAPSED = ("wsis-2026", "nablus")


# The past rounds' stages (cade/demo/history.py): (call reference prefix, organisation name). Their awards were
# released long ago, so their reports fell due in the past: CADE 2026's early round (released in April 2026) owes
# its interim report 180 days after acceptance; the 2025 community-network round, two-year grants, its interim
# report after 540 days and its final one after 730.
PAST_SCHEDULED = ("CADE-2026E", "CNG-2025")  # past calls that pay 40/40/20 too (set before offers are accepted)
APPROVED = ("CNG-2025", "Past Applicant 11 (MX)")  # interim report approved, second tranche paid
CLOSED = ("CNG-2025", "Past Applicant 07 (BO)")  # both reports approved, every tranche paid, money returned
SENT_BACK = ("CADE-2026E", "Past Applicant 13 (BD)")
OVERDUE = ("CADE-2026E", "Past Applicant 06 (CD)")  # may try to apply to CADE 2026: the apply page refuses

TEMPLATE_CALL = "CNG-2025"  # its grants' interim report asks two questions of its own
REPORT_DAYS = (540, 730)  # interim, final: days after acceptance
REPORT_QUESTIONS = [
    {"kind": "long_text", "label": "What changed for the community during this period?", "word_limit": "300"},
    {"kind": "number", "label": "How many community meetings about the network were held during this period?"},
]
INDICATOR_KINDS = (ProgrammeKind.COMMUNITY_NETWORK.value, ProgrammeKind.CAPACITY_DEVELOPMENT.value)
# Each grant's targets by indicator code (cade/grants/indicators.py DEFAULT_INDICATORS). Only the two community
# networks (one region, one stakeholder group) report approved values: the funding summary's indicator tables
# stay four rows long, and the dashboard light.
TARGETS = {
    ACCEPTED_PAID: {"staff-trained": "12", "policy-submissions": "4", "processes-engaged": "3"},
    SENT_BACK: {"staff-trained": "8", "policy-submissions": "2", "processes-engaged": "2"},
    OVERDUE: {"staff-trained": "6", "policy-submissions": "2"},
    APPROVED: {"networks": "2", "people-connected": "800", "sites-connected": "6", "operators-trained": "6"},
    CLOSED: {"networks": "3", "people-connected": "1500", "sites-connected": "12", "operators-trained": "10"},
}


@dataclass(frozen=True)
class ReportContent:
    narrative: str
    spent_percent: int  # of the award, spread over the budget lines in their proportions
    explanation: str  # for the lines further than 10 % from their budget
    values: dict  # indicator code → value typed
    evidence: str
    answers: tuple = ()  # to the report's own questions, in order


INTERIM_APPROVED = ReportContent(
    narrative=("In the first phase we built the backbone link from the district town and connected the school, "
               "the clinic and two market sites. Four young people from the village were trained as operators "
               "and now run the network's help desk."),
    spent_percent=45, explanation="First phase: the backbone and the first sites, as planned.",
    values={"networks": "1", "people-connected": "420", "sites-connected": "4", "operators-trained": "4"},
    evidence="Site list with coordinates and the operators' training records, kept at the network office.",
    answers=("The clinic sends its weekly reports on line instead of by bus; pupils use the school's lab.", "5"))
INTERIM_CLOSED = ReportContent(
    narrative=("The first village is connected: the masts are up, the school and the health post are on line and "
               "six operators were trained."),
    spent_percent=40, explanation="First phase of two, as planned.",
    values={"networks": "1", "people-connected": "600", "sites-connected": "5", "operators-trained": "6"},
    evidence="Monthly usage logs kept at the network office.",
    answers=("Families call relatives abroad without travelling to town.", "4"))
FINAL_CLOSED = ReportContent(
    narrative=("Over the second year the network grew from one to three villages: twelve sites are on line, 1,350 "
               "people use it every month and ten local operators run it without outside help. The community "
               "fund now covers the backhaul."),
    spent_percent=52, explanation="Second phase; equipment cost less than quoted and the balance is returned.",
    values={"networks": "2", "people-connected": "750", "sites-connected": "7", "operators-trained": "4"},
    evidence="Monthly usage logs and the operators' training certificates, kept at the network office.")
INTERIM_SENT_BACK = ReportContent(
    narrative="We held the first workshops and drafted the policy paper.",
    spent_percent=35, explanation="Interim period.",
    values={"staff-trained": "3", "policy-submissions": "0", "processes-engaged": "1"},
    evidence="Workshop photos.")
APPROVAL_COMMENTS = "Thank you: a clear report, with the site list we asked for."
CHANGES_COMMENTS = ("Please say what the workshops changed for the participants, attach the draft policy paper, "
                    "and give the number of staff trained by role.")
CLOSING_COMMENTS = "Thank you for a well-run grant; please return the unspent balance as agreed."
RETURN_REFERENCE = "CNG25-BO-RETURN-01"


@dataclass(frozen=True)
class Acceptance:
    signatory: str
    position: str
    after_days: int  # days after the release


ACCEPTANCES = {
    ACCEPTED_PAID: Acceptance("Yasmine Ben Salah", "Présidente", 1),
    TRAVEL_PAID: Acceptance("Sita Gurung", "Chair of the cooperative", 3),
    TRAVEL_UNPAID: Acceptance("Litia Naivalu", "Coordinator", 4),
}
PAYMENTS = {ACCEPTED_PAID: "EC-INTPA-CADE25-0007-T1", TRAVEL_PAID: "EC-INTPA-WSIS26-0002"}
PAST_ACCEPTANCES = {
    APPROVED: Acceptance("Mariana Torres", "Network coordinator", 2),
    CLOSED: Acceptance("Rubén Mamani", "Presidente de la red", 3),
    SENT_BACK: Acceptance("Farhana Akter", "Executive Director", 2),
    OVERDUE: Acceptance("Espérance Mbuyi", "Coordinatrice", 3),
}
# Each stage's payments, in order: the first on signature (a week after acceptance), the others as they unlock.
PAST_PAYMENTS = {
    APPROVED: ("CNG25-MX-T1", "CNG25-MX-T2"),
    CLOSED: ("CNG25-BO-T1", "CNG25-BO-T2", "CNG25-BO-T3"),
    SENT_BACK: ("EC-INTPA-CADE26E-0013-T1",),
    OVERDUE: ("EC-INTPA-CADE26E-0006-T1",),
}
DECLINE_REASON = ("Another funder has since covered the monitor's first year in full; we would rather the money "
                  "went to another organisation this round.")
WAITLIST_FEEDBACK = ("Money freed up in the envelope: we are glad to offer your proposal the full amount you "
                     "requested. Please send the six communes' agreement letters with your first report.")


def seed_grants(seeder, calls: dict, organisations: dict) -> None:
    """Add the offer answers, grants and payments that are missing (see the module's docstring)."""
    admin = seeder.users[ADMIN_EMAIL]
    created = seeder.report.created
    _schedules(admin, calls, created)
    _indicators(admin, created)
    _report_template(admin, db.session.scalar(select(Call).where(Call.reference_prefix == TEMPLATE_CALL)),
                     created)
    decisions = _decisions(calls, organisations)
    for stage, acceptance in ACCEPTANCES.items():
        _accept(decisions.get(stage), acceptance, created)
    for stage, reference in PAYMENTS.items():
        _pay_first(admin, decisions.get(stage), reference, created)
    _decline_and_award_waitlisted(admin, decisions.get(DECLINED), decisions.get(WAITLISTED), created)
    _lapse(seeder.now, decisions.get(LAPSED), created)
    _report_stages(seeder, decisions)
    db.session.flush()


# ---------------------------------------------------------------- the report stages


def _report_stages(seeder, decisions: dict) -> None:
    """The grants after their first payment: reports approved, sent back, overdue; a closed grant; indicators.

    Each step runs only while its object is in the state the step starts from (see the module docstring).
    """
    admin = seeder.users[ADMIN_EMAIL]
    created = seeder.report.created
    past = _past_decisions()
    for stage, acceptance in PAST_ACCEPTANCES.items():
        _accept(past.get(stage), acceptance, created)
    for stage, references in PAST_PAYMENTS.items():
        _pay_first(admin, past.get(stage), references[0], created)
    grants = {stage: grant_for_decision(decision.id)
              for stage, decision in [*decisions.items(), *past.items()] if decision is not None}
    for stage, targets in TARGETS.items():
        _set_targets(admin, grants.get(stage), targets, created)
    for stage, content in ((APPROVED, INTERIM_APPROVED), (CLOSED, INTERIM_CLOSED)):
        _approve(admin, grants.get(stage), ReportKind.INTERIM, content, created)
        _pay_unlocked(admin, grants.get(stage), PAST_PAYMENTS[stage], created)
    _send_back_interim(admin, grants.get(SENT_BACK), created)
    _approve(admin, grants.get(CLOSED), ReportKind.FINAL, FINAL_CLOSED, created)
    _pay_unlocked(admin, grants.get(CLOSED), PAST_PAYMENTS[CLOSED], created)  # the last payment closes it
    _return_unspent(admin, grants.get(CLOSED), created)


def _past_decisions() -> dict[tuple[str, str], Decision]:
    """The decisions of the past rounds' stages (cade/demo/history.py), by (call reference prefix, organisation)."""
    stages = set(PAST_ACCEPTANCES)
    rows = db.session.execute(
        select(Call.reference_prefix, Organisation.name, Decision)
        .join(Application, Application.id == Decision.application_id)
        .join(Call, Call.id == Application.call_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Call.reference_prefix.in_({prefix for prefix, _ in stages}),
               Organisation.name.in_({name for _, name in stages}))).all()
    return {(prefix, name): decision for prefix, name, decision in rows if (prefix, name) in stages}


def _indicators(admin, created) -> None:
    """The suggested indicators of the community-network and capacity-development programmes (once)."""
    programmes = db.session.scalars(select(Programme).where(Programme.kind.in_(INDICATOR_KINDS))
                                    .order_by(Programme.id)).all()
    for programme in programmes:
        created["indicators"] += len(add_suggested_indicators(admin, programme.id))


def _report_template(admin, call, created) -> None:
    """The call asks an interim report after REPORT_DAYS[0] days, with two questions of its own, and the final one
    after REPORT_DAYS[1]. Set before any of its offers is accepted: a grant takes its call's reports when it opens.
    """
    templates = templates_of(call.id)
    if ReportKind.INTERIM not in templates:
        set_report_schedule(admin, call.id, ReportScheduleInput.from_input(
            {"interim": True, "interim_days": REPORT_DAYS[0], "final_days": REPORT_DAYS[1]}))
        created["report templates"] += 1
        templates = templates_of(call.id)
    questionnaire_id = templates[ReportKind.INTERIM].questionnaire_id
    if db.session.scalar(select(func.count(Question.id)).where(Question.questionnaire_id == questionnaire_id)):
        return
    for question in REPORT_QUESTIONS:
        add_report_question(admin, call.id, ReportKind.INTERIM.value, QuestionInput.from_input(question))
        created["report questions"] += 1


def _set_targets(admin, grant: Grant | None, targets: dict[str, str], created) -> None:
    if grant is None:
        return
    exists = select(IndicatorTarget.indicator_id).where(IndicatorTarget.grant_id == grant.id).limit(1)
    if db.session.scalar(exists) is not None:
        return  # set already
    ids = _indicator_ids(grant)
    set_targets(admin, grant.id, TargetsInput.from_input(
        {"targets": {ids[code]: value for code, value in targets.items() if code in ids}}, locale="en"))
    created["indicator targets"] += 1


def _indicator_ids(grant: Grant) -> dict[str, int]:
    return {indicator.code: indicator.id for indicator in indicators_of(grant_programme_id(grant))}


def _report(grant: Grant, kind: ReportKind) -> GrantReport | None:
    return next((report for report in reports_of(grant) if report.kind == kind), None)


def _submit(grant: Grant, report: GrantReport, content: ReportContent, created) -> None:
    """Write the whole report as its owner would, and submit it (DRAFT → SUBMITTED)."""
    owner = _owner(grant.decision)
    lines = {}
    budget = sum(line.budget_minor for line in report.spend_lines) or 1
    for line in report.spend_lines:
        # The award may be smaller than the budget asked: each line spends its share of the award.
        actual = line.budget_minor * grant.amount_minor * content.spent_percent // (budget * 100)
        entry = {"actual": str(Decimal(actual).scaleb(-minor_units(grant.currency)))}
        if abs(actual - line.budget_minor) * 100 > SPEND_VARIANCE_EXPLAIN * line.budget_minor:
            entry["explanation"] = content.explanation
        lines[line.id] = entry
    total = sum(Decimal(entry["actual"]) for entry in lines.values())
    ids = _indicator_ids(grant)
    answers = {question.id: content.answers[position]
               for position, question in enumerate(questions_of(report)) if position < len(content.answers)}
    command = ReportInput.from_input({
        "narrative": content.narrative, "total_spent": str(total), "spend": lines, "answers": answers,
        "indicators": {ids[code]: {"value": value, "evidence": content.evidence}
                       for code, value in content.values.items() if code in ids}},
        currency=grant.currency, locale="en")
    submit_report(owner, report.id, command)
    created["reports submitted"] += 1


def _approve(admin, grant: Grant | None, kind: ReportKind, content: ReportContent, created) -> None:
    """The grant's report of `kind` written, submitted and approved with its indicator values."""
    report = _report(grant, kind) if grant is not None else None
    if report is None:
        return
    if report.status == ReportStatus.DRAFT:
        _submit(grant, report, content, created)
    if report.status == ReportStatus.SUBMITTED:
        approve_report(admin, report.id, CLOSING_COMMENTS if kind == ReportKind.FINAL else APPROVAL_COMMENTS)
        created["reports approved"] += 1


def _pay_unlocked(admin, grant: Grant | None, references: tuple, created) -> None:
    """Pay, today, each tranche an approval unlocked (the last one paid closes a grant whose final report is in)."""
    if grant is None:
        return
    today = utcnow().date()
    for tranche, reference in zip(tranches_of(grant), references, strict=False):
        if tranche.status == TrancheStatus.PAYABLE:
            ready_for_payment(admin, grant, today)  # a verified account and a clear screening first
            pay_tranche(admin, tranche.id, PaymentInput.from_input({"paid_on": today.isoformat(),
                                                                   "reference": reference}, today=today))
            created["tranches paid"] += 1


def _send_back_interim(admin, grant: Grant | None, created) -> None:
    """An interim report submitted and sent back with comments: it waits for the grantee to fix it."""
    report = _report(grant, ReportKind.INTERIM) if grant is not None else None
    if report is None:
        return
    if report.status == ReportStatus.DRAFT and report.submitted_at is None:
        _submit(grant, report, INTERIM_SENT_BACK, created)
    if report.status == ReportStatus.SUBMITTED and report.reviewed_at is None:
        request_changes(admin, report.id, CHANGES_COMMENTS)
        created["reports sent back"] += 1


def _return_unspent(admin, grant: Grant | None, created) -> None:
    """Once the grant is closed, record what its reports did not spend of what was paid as returned (once)."""
    if grant is None or grant.status != GrantStatus.CLOSED or grant.returned_minor:
        return
    today = utcnow().date()
    spent = sum(report.total_spent_minor or 0 for report in reports_of(grant))
    unspent = paid_out_minor(grant.id) - spent
    if unspent <= 0:
        return
    record_returned(admin, grant.id, ReturnedInput.from_input(
        {"amount": str(Decimal(unspent).scaleb(-minor_units(grant.currency))), "returned_on": today.isoformat(),
         "reference": RETURN_REFERENCE}, currency=grant.currency, today=today))
    created["money returned"] += 1


# ---------------------------------------------------------------- the offer stages


def _schedules(admin, calls: dict, created) -> None:
    scheduled = [calls[spec["key"]] for spec in data.CALLS if spec["programme"] in SCHEDULED_PROGRAMMES]
    scheduled += db.session.scalars(select(Call).where(Call.reference_prefix.in_(PAST_SCHEDULED))
                                    .order_by(Call.id)).all()
    for call in scheduled:
        if not has_own_schedule(call.id):
            set_schedule(admin, call.id, DEMO_SCHEDULE)
            created["tranche schedules"] += 1


def _decisions(calls: dict, organisations: dict) -> dict[tuple[str, str], Decision]:
    """The decision of each stage's application, by (call key, organisation key), in one query."""
    stages = {WAITING, ACCEPTED_PAID, DECLINED, WAITLISTED, TRAVEL_PAID, TRAVEL_UNPAID, LAPSED}
    pairs = {(calls[call].id, organisations[org].id): (call, org) for call, org in stages}
    rows = db.session.execute(
        select(Application.call_id, Application.organisation_id, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.call_id.in_({call_id for call_id, _ in pairs}),
               Application.organisation_id.in_({org_id for _, org_id in pairs}))).all()
    return {pairs[(call_id, org_id)]: decision for call_id, org_id, decision in rows
            if (call_id, org_id) in pairs}


def _owner(decision: Decision):
    return next(m.user for m in decision.application.organisation.memberships if m.role == "owner")


def _accept(decision: Decision | None, acceptance: Acceptance, created) -> None:
    if decision is None or decision.status != DecisionStatus.RELEASED:
        return
    command = offers.AcceptOfferInput.from_input({
        "signatory_name": acceptance.signatory, "signatory_position": acceptance.position,
        "confirmation": decision.application.organisation.name})
    # Accepted within the deadline, some days after the release: the grant opens (acceptance_hooks) with it.
    offers.accept_offer(_owner(decision), decision.id, command,
                        now=decision.released_at + timedelta(days=acceptance.after_days))
    created["offers accepted"] += 1
    if grant_for_decision(decision.id) is not None:
        created["grants"] += 1


def _pay_first(admin, decision: Decision | None, reference: str, created) -> None:
    grant = grant_for_decision(decision.id) if decision is not None else None
    if grant is None:
        return
    first = tranches_of(grant)[0]
    if first.status != TrancheStatus.PAYABLE:
        return
    today = utcnow().date()
    paid_on = min(today, decision.accepted_at.date() + timedelta(days=7))
    ready_for_payment(admin, grant, paid_on)  # a verified account and a clear screening first
    pay_tranche(admin, first.id, PaymentInput.from_input({"paid_on": paid_on.isoformat(), "reference": reference},
                                                         today=today))
    created["tranches paid"] += 1


def _decline_and_award_waitlisted(admin, declined: Decision | None, waitlisted: Decision | None, created) -> None:
    if declined is not None and declined.status == DecisionStatus.RELEASED:
        # Declining tells the admins and proposes the call's first waitlisted application to them.
        offers.decline_offer(_owner(declined), declined.id, offers.DeclineOfferInput.from_input(
            {"reason": DECLINE_REASON}), now=declined.released_at + timedelta(days=1))
        created["offers declined"] += 1
    if declined is None or declined.status != DecisionStatus.DECLINED or waitlisted is None:
        return
    application = waitlisted.application
    if not offers.is_awardable_from_waitlist(application, waitlisted):
        return  # awarded already
    if offers.first_waitlisted(application.call_id) != application:
        return  # not the one proposed
    currency = application.call.currency
    amount = Decimal(application.requested_amount_minor).scaleb(-minor_units(currency))  # all it asked for
    offers.award_waitlisted(admin, application.id, offers.AwardWaitlistedInput.from_input(
        {"amount": amount, "feedback": WAITLIST_FEEDBACK}, currency=currency))
    created["awarded from the waiting list"] += 1


def _lapse(now: datetime, decision: Decision | None, created) -> None:
    """Run the lapse sweep once the unanswered offer's deadline has passed, as the beat would."""
    if decision is None or decision.status != DecisionStatus.RELEASED or decision.offer_deadline_at is None:
        return
    moment = max(utcnow(), now)
    if decision.offer_deadline_at < moment:
        created["offers lapsed"] += len(offers.lapse_offers(moment))
