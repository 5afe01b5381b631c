"""Whether a grant's organisation may be paid: a verified payee account and a recent clear screening.

One place asks it: the pay gate of a tranche (`cade.grants.tranches.pay_tranche`) refuses with the problems
named here, and the grant page shows the admin paying the same answer with the account in full.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from cade.core.db import utcnow
from cade.diligence.models import PayeeAccount, Screening
from cade.diligence.payees import full_number, verified_payee
from cade.diligence.screenings import latest_match, recent_clear_screening


@dataclass(frozen=True)
class PaymentReadiness:
    payee: PayeeAccount | None
    payee_full_number: str  # the whole IBAN or account number: only for the admin paying
    screening: Screening | None
    problems: list = field(default_factory=list)  # what to do first, in the reader's language

    @property
    def ready(self) -> bool:
        return not self.problems


def payment_readiness(grant, on: date | None = None) -> PaymentReadiness:
    """May `grant`'s organisation be paid on day `on` (default today)? The account, the screening, the problems.

    `grant` needs `organisation_id`, `organisation` and `call.programme` (a grants.Grant).
    """
    today = utcnow().date()
    on = on or today
    organisation = grant.organisation
    programme = grant.call.programme
    problems = []
    payee = verified_payee(organisation.id)
    if payee is None:
        problems.append(_l("%(organisation)s has no verified bank details: its owners enter them on the "
                           "organisation's bank details page, then two administrators check and confirm them.",
                           organisation=organisation.name))
    screening = recent_clear_screening(organisation.id, programme, on)
    match = latest_match(organisation.id, max(on, today))
    if match is not None:
        screening = None
        problems.append(_l("The latest screening of %(organisation)s (%(day)s) found a possible match: no payment "
                           "until a later screening is clear.", organisation=organisation.name,
                           day=format_date(match.screened_on, "long")))
    elif screening is None:
        problems.append(_l("There is no clear screening of %(organisation)s against the programme's sanctions lists "
                           "in the %(days)d days up to the payment date: an administrator records one on the "
                           "organisation's screenings page first.", organisation=organisation.name,
                           days=programme.screening_valid_days))
    return PaymentReadiness(payee=payee, payee_full_number=full_number(payee), screening=screening,
                            problems=problems)
