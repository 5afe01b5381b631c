"""What an amendment does once in force: a reallocation checked against and applied to the grant's budget, an
extension moving the dates not yet reached, and the agreement version every approval makes.

A reallocation is a list of moves (from a line, to a line, an amount) applied
in order to the grant's budget lines (GrantBudgetLine): the total never
changes, and a move may never take more than its line holds at that point, nor
take a line below the largest spend an approved report states on it. The same
check runs when the request is made and again when it is approved, since the
budget may have moved in between. The spend lines of reports not yet submitted
take the new budget; submitted and approved ones keep what they were written
against. Every approval then draws the agreement again (`make_version`).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from cade.core.errors import ValidationFailed
from cade.core.money import format_money
from cade.extensions import db
from cade.grants.agreement import Amended, agreement_pdf
from cade.grants.agreement_versions import next_number, record_version, store_pdf
from cade.grants.constants import AmendmentKind, AmendmentStatus, ReportStatus, TrancheStatus
from cade.grants.models import AgreementVersion, GrantAmendment, GrantBudgetLine, GrantReport, SpendLine, Tranche


@dataclass(frozen=True)
class Move:
    from_line: int  # GrantBudgetLine ids
    to_line: int
    amount_minor: int

    def to_json(self) -> dict:
        return {"from": self.from_line, "to": self.to_line, "amount_minor": self.amount_minor}


def moves_of(amendment: GrantAmendment) -> list[Move]:
    return [Move(int(m["from"]), int(m["to"]), int(m["amount_minor"])) for m in amendment.details.get("moves", [])]


def budget_lines(grant_id: int) -> dict[int, GrantBudgetLine]:
    """The grant's budget lines by id, in their order."""
    rows = db.session.scalars(select(GrantBudgetLine).where(GrantBudgetLine.grant_id == grant_id)
                              .order_by(GrantBudgetLine.position))
    return {line.id: line for line in rows}


def reported_spend(grant_id: int) -> dict[int, int]:
    """The largest actual spend an approved report of the grant states per budget position (one query)."""
    rows = db.session.execute(
        select(SpendLine.position, func.max(SpendLine.actual_minor))
        .join(GrantReport, GrantReport.id == SpendLine.report_id)
        .where(GrantReport.grant_id == grant_id, GrantReport.status == ReportStatus.APPROVED,
               SpendLine.actual_minor.is_not(None))
        .group_by(SpendLine.position)).all()
    return {position: spent for position, spent in rows}


def checked_moves(grant, moves: list[Move]) -> dict[int, int]:
    """The budget's amounts by line id after `moves`; ValidationFailed naming each bad move's field.

    Fields: `from-<i>`, `to-<i>`, `amount-<i>` (i: the move's index in `moves`).
    """
    lines = budget_lines(grant.id)
    spent = reported_spend(grant.id)
    amounts = {line_id: line.amount_minor for line_id, line in lines.items()}
    errors: dict[str, list] = {}
    for index, move in enumerate(moves):
        source, target = lines.get(move.from_line), lines.get(move.to_line)
        if source is None:
            errors.setdefault(f"from-{index}", []).append(_l("Choose a line of this grant's budget."))
        if target is None:
            errors.setdefault(f"to-{index}", []).append(_l("Choose a line of this grant's budget."))
        if source is None or target is None:
            continue
        if source.id == target.id:
            errors.setdefault(f"to-{index}", []).append(_l("Choose another line than the one the money comes from."))
            continue
        floor = spent.get(source.position, 0)
        if move.amount_minor > amounts[source.id] - floor:
            holds = format_money(max(amounts[source.id] - floor, 0), grant.currency)
            message = (_l("“%(line)s” holds only %(amount)s that can be moved; move at most that much, or move "
                          "money into it first.", line=source.description, amount=holds) if not floor else
                       _l("“%(line)s” holds only %(amount)s that can be moved once what an approved report says "
                          "was spent on it is kept; move at most that much.", line=source.description,
                          amount=holds))
            errors.setdefault(f"amount-{index}", []).append(message)
            continue
        amounts[source.id] -= move.amount_minor
        amounts[target.id] += move.amount_minor
    if errors:
        raise ValidationFailed(errors)
    return amounts


def on_notice(grant, moves: list[Move], percent: int) -> bool:
    """Whether a reallocation may take effect on notice alone: what it takes out of each line, all its moves
    together (so one large move cannot be split into small ones), is at most `percent` of that line's amount."""
    lines = budget_lines(grant.id)
    taken: dict[int, int] = defaultdict(int)
    for move in moves:
        taken[move.from_line] += move.amount_minor
    return all(amount * 100 <= percent * lines[line_id].amount_minor for line_id, amount in taken.items())


def apply_reallocation(grant, moves: list[Move]) -> dict[int, int]:
    """Change the grant's budget lines by `moves` (checked again first) and the budget of the spend lines of its
    reports not yet submitted; return the new amounts by line id. Raises ValidationFailed as `checked_moves`."""
    amounts = checked_moves(grant, moves)
    lines = budget_lines(grant.id)
    drafts = select(GrantReport.id).where(GrantReport.grant_id == grant.id, GrantReport.status == ReportStatus.DRAFT)
    for line_id, amount in amounts.items():
        line = lines[line_id]
        if line.amount_minor == amount:
            continue
        line.amount_minor = amount
        db.session.execute(update(SpendLine).where(SpendLine.report_id.in_(drafts),
                                                   SpendLine.position == line.position)
                           .values(budget_minor=amount).execution_options(synchronize_session="fetch"))
    db.session.flush()
    return amounts


def apply_extension(grant, days: int) -> None:
    """Move the due dates of the grant's unpaid tranches and of its reports not yet approved by `days`.

    A handful of rows per grant, moved in Python: date arithmetic in SQL differs between SQLite and PostgreSQL.
    """
    shift = timedelta(days=days)
    tranches = db.session.scalars(select(Tranche).where(Tranche.grant_id == grant.id,
                                                        Tranche.status != TrancheStatus.PAID))
    reports = db.session.scalars(select(GrantReport).where(GrantReport.grant_id == grant.id,
                                                           GrantReport.status != ReportStatus.APPROVED))
    for row in [*tranches, *reports]:
        row.due_on = row.due_on + shift
    db.session.flush()


# ---------------------------------------------------------------- the agreement version an approval makes


def in_force(grant_id: int) -> list[GrantAmendment]:
    """The grant's amendments in force (approved, or noted), oldest decision first."""
    return list(db.session.scalars(
        select(GrantAmendment).where(GrantAmendment.grant_id == grant_id,
                                     GrantAmendment.status.in_([AmendmentStatus.APPROVED, AmendmentStatus.NOTED]))
        .order_by(GrantAmendment.decided_at, GrantAmendment.id)))


def amended_terms(grant, version: int) -> Amended:
    """What version `version` of the grant's agreement says beyond the original (see agreement.Amended)."""
    from cade.grants.services import accepting_owner
    from cade.grants.tranches import tranches_of

    decision = grant.decision
    owner = accepting_owner(decision)
    name = decision.signatory_name or getattr(owner, "name", "") or ""
    position = decision.signatory_position or ""
    descriptions = {line_id: line.description for line_id, line in budget_lines(grant.id).items()}
    records = []
    for amendment in in_force(grant.id):
        record = {"kind": amendment.kind, "status": amendment.status, "decided_on": amendment.decided_at.date()}
        if amendment.kind == AmendmentKind.EXTENSION:
            record["days"] = amendment.details["days"]
        elif amendment.kind == AmendmentKind.REALLOCATION:
            record["moves"] = [{"amount_minor": move.amount_minor, "from": descriptions.get(move.from_line, ""),
                                "to": descriptions.get(move.to_line, "")} for move in moves_of(amendment)]
        else:
            name, position = amendment.details["name"], amendment.details["position"]
            record.update(name=name, position=position)
        records.append(record)
    return Amended(version=version, schedule=tranches_of(grant), signatory_name=name, signatory_position=position,
                   amendments=records)


def make_version(grant, amendment: GrantAmendment) -> AgreementVersion:
    """The grant's next agreement version, drawn with every amendment in force (`amendment` included), in the
    language of its agreement; the grant points at it. The caller holds the grant's row lock. Flushes."""
    from cade.grants.services import accepting_owner

    pdf, language = agreement_pdf(grant.decision, accepting_owner(grant.decision), grant.agreement_language,
                                  amended_terms(grant, next_number(grant.id)))
    return record_version(grant, store_pdf(pdf), language, amendment.id)
