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


class ReportKind(StrEnum):
    """Which report of a grant: the interim one (some calls have none) and the final one (every grant has it)."""

    INTERIM = "interim"
    FINAL = "final"


REPORT_KIND_LABELS = {ReportKind.INTERIM: _l("Interim report"), ReportKind.FINAL: _l("Final report")}

# The report whose approval unlocks a tranche paid on that condition.
REPORT_UNLOCKS = {ReportKind.INTERIM: TrancheCondition.INTERIM_REPORT_APPROVED,
                  ReportKind.FINAL: TrancheCondition.FINAL_REPORT_APPROVED}

# When a call names no report dates: days after acceptance.
DEFAULT_REPORT_DAYS = {ReportKind.INTERIM: 180, ReportKind.FINAL: 365}


class ReportStatus(StrEnum):
    """Where a grantee report is (REPORT_MACHINE in cade/grants/models.py has the moves)."""

    DRAFT = "draft"  # being written (or not started); saved as often as the grantee likes
    SUBMITTED = "submitted"  # sent; the admin approves it or asks for changes
    CHANGES_REQUESTED = "changes_requested"  # sent back with comments; editable again, then resubmitted
    APPROVED = "approved"  # final; unlocks the tranches that waited for it


REPORT_STATUS_LABELS = {
    ReportStatus.DRAFT: _l("Not submitted"),
    ReportStatus.SUBMITTED: _l("Submitted, awaiting review"),
    ReportStatus.CHANGES_REQUESTED: _l("Changes requested"),
    ReportStatus.APPROVED: _l("Approved"),
}

REPORT_RESUBMIT_DAYS = 14  # a report sent back is overdue this many days after, if later than its due date
REPORT_REMINDER_DAYS = 14  # owners are reminded this many days before a report is due
SPEND_VARIANCE_EXPLAIN = 10  # percent: a spend line further than this from its budget needs an explanation


class AmendmentKind(StrEnum):
    EXTENSION = "extension"  # a no-cost extension: report and tranche dates move by some days
    REALLOCATION = "reallocation"  # money moved between budget lines, the total unchanged
    SIGNATORY = "signatory"  # a new signatory for the organisation


AMENDMENT_KIND_LABELS = {AmendmentKind.EXTENSION: _l("No-cost extension"),
                         AmendmentKind.REALLOCATION: _l("Reallocation between budget lines"),
                         AmendmentKind.SIGNATORY: _l("Change of signatory")}


class AmendmentStatus(StrEnum):
    """AMENDMENT_MACHINE in cade/grants/models.py has the moves."""

    REQUESTED = "requested"  # waiting for an admin
    NOTED = "noted"  # a reallocation under the programme's threshold: in force on notice, no approval needed
    APPROVED = "approved"  # in force; a new version of the agreement was made
    REFUSED = "refused"  # refused with a reason


AMENDMENT_STATUS_LABELS = {AmendmentStatus.REQUESTED: _l("Waiting for a decision"),
                           AmendmentStatus.NOTED: _l("In force on notice"),
                           AmendmentStatus.APPROVED: _l("Approved"), AmendmentStatus.REFUSED: _l("Refused")}
