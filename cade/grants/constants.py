"""Grant statuses and their labels."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class GrantStatus(StrEnum):
    """Where a grant is in its life (GRANT_MACHINE in cade/grants/models.py has the moves)."""

    ACTIVE = "active"  # the offer was accepted and the agreement made; tranches and reports run
    CLOSED = "closed"  # final report approved and last tranche paid


GRANT_STATUS_LABELS = {GrantStatus.ACTIVE: _l("Active"), GrantStatus.CLOSED: _l("Closed")}

AGREEMENT_FOLDER = "grants/agreements"
