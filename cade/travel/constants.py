"""Cost categories, traveller roles, statuses, and their labels."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class CostCategory(StrEnum):
    AIRFARE = "airfare"
    ACCOMMODATION = "accommodation"
    PER_DIEM = "per_diem"  # computed from the per diem table: the event's country (and city) × days
    VISA = "visa"
    LOCAL_TRANSPORT = "local_transport"
    OTHER = "other"


COST_CATEGORY_LABELS = {
    CostCategory.AIRFARE: _l("Airfare"), CostCategory.ACCOMMODATION: _l("Accommodation"),
    CostCategory.PER_DIEM: _l("Per diem"), CostCategory.VISA: _l("Visa"),
    CostCategory.LOCAL_TRANSPORT: _l("Local transport"), CostCategory.OTHER: _l("Other costs"),
}


class TravellerRole(StrEnum):
    SPEAKER = "speaker"
    ORGANISER = "organiser"
    PARTICIPANT = "participant"


TRAVELLER_ROLE_LABELS = {TravellerRole.SPEAKER: _l("Speaker"), TravellerRole.ORGANISER: _l("Organiser"),
                         TravellerRole.PARTICIPANT: _l("Participant")}


class ClaimStatus(StrEnum):
    """CLAIM_MACHINE in cade/travel/models.py has the moves."""

    DRAFT = "draft"  # the traveller enters costs and receipts
    SUBMITTED = "submitted"  # waiting for an admin
    APPROVED = "approved"  # approved as claimed (within the approved amounts) or adjusted with a reason
    PAID = "paid"  # the payment is recorded


CLAIM_STATUS_LABELS = {ClaimStatus.DRAFT: _l("Not submitted"), ClaimStatus.SUBMITTED: _l("Submitted"),
                       ClaimStatus.APPROVED: _l("Approved"), ClaimStatus.PAID: _l("Paid")}


class PostTripStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


DEFAULT_DATE_MARGIN_DAYS = 3  # travel may start and end this many days around the event
DEFAULT_POST_TRIP_DAYS = 30  # the post-trip report is due this many days after the event ends
