"""Grant statuses and their labels."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class GrantStatus(StrEnum):
    """Where a grant is in its life (GRANT_MACHINE in cade/grants/models.py has the moves)."""

    ACTIVE = "active"  # the offer was accepted and the agreement made; tranches and reports run
    CLOSED = "closed"  # final report approved and last tranche paid


GRANT_STATUS_LABELS = {GrantStatus.ACTIVE: _l("Active"), GrantStatus.CLOSED: _l("Closed")}

AGREEMENT_FOLDER = "grants/agreements"


class TrancheCondition(StrEnum):
    """What must have happened before a tranche may be paid."""

    ON_SIGNATURE = "on_signature"
    INTERIM_REPORT_APPROVED = "interim_report_approved"
    FINAL_REPORT_APPROVED = "final_report_approved"


TRANCHE_CONDITION_LABELS = {
    TrancheCondition.ON_SIGNATURE: _l("On signature of the agreement"),
    TrancheCondition.INTERIM_REPORT_APPROVED: _l("When the interim report is approved"),
    TrancheCondition.FINAL_REPORT_APPROVED: _l("When the final report is approved"),
}

# "It is unlocked when …": what a grantee or an admin is told a locked tranche waits for.
TRANCHE_UNLOCKS = {
    TrancheCondition.ON_SIGNATURE: _l("the agreement is signed"),
    TrancheCondition.INTERIM_REPORT_APPROVED: _l("the interim report is approved"),
    TrancheCondition.FINAL_REPORT_APPROVED: _l("the final report is approved"),
}


class TrancheStatus(StrEnum):
    """Where a tranche is (TRANCHE_MACHINE in cade/grants/models.py has the moves)."""

    DUE = "due"  # scheduled; its condition is not met yet, so it cannot be paid
    PAYABLE = "payable"  # its condition is met: an admin may record the payment
    PAID = "paid"  # the payment is recorded (date, reference, by whom); never paid again


TRANCHE_STATUS_LABELS = {TrancheStatus.DUE: _l("Locked"), TrancheStatus.PAYABLE: _l("Payable"),
                         TrancheStatus.PAID: _l("Paid")}

MAX_SCHEDULE_ROWS = 6  # rows of the schedule form (blank ones are ignored)
