"""Where a user stands towards applying to a call: what the call page and the start page may offer them.

A page offers "Apply" or "Start my application" only when pressing it can
work; otherwise it says why and what to do instead. Both pages ask this one
place, which asks the same rules as `start_application` (which still refuses
a start posted anyway).
"""

from dataclasses import dataclass, field

from cade.applications.eligibility import EligibilityResult, assess_eligibility, prepare_eligibility
from cade.applications.models import Application
from cade.applications.services.drafts import live_applications_by_organisation
from cade.organisations.models import Organisation
from cade.organisations.services import organisations_for_user


@dataclass
class StartOption:
    """One of the user's organisations: whether the call's rules admit it, and its application if it has one."""

    organisation: Organisation
    eligibility: EligibilityResult
    live: Application | None = None

    @property
    def can_start(self) -> bool:
        return self.live is None and self.eligibility.eligible


@dataclass
class Standing:
    """The user's position towards one call; `options` holds one entry per organisation of theirs."""

    signed_in: bool
    email_confirmed: bool
    is_open: bool
    options: list[StartOption] = field(default_factory=list)

    @property
    def startable(self) -> list[StartOption]:
        return [option for option in self.options if option.can_start]

    @property
    def offers_start(self) -> bool:
        """Whether an "Apply" link leads somewhere that works: to sign in, to describe an organisation, or to start.

        Not when the e-mail address is unconfirmed (the start page would only
        say so) or every organisation is turned away or has applied already.
        """
        if not self.is_open:
            return False
        if not self.signed_in:
            return True
        if not self.email_confirmed:
            return False
        return not self.options or bool(self.startable)


def applicant_standing(user, call, now=None) -> Standing:
    """Where `user` (signed in or not) stands towards applying to `call`; two queries for a signed-in user."""
    is_open = call.is_open(now)
    if user is None or not getattr(user, "is_authenticated", False):
        return Standing(signed_in=False, email_confirmed=False, is_open=is_open)
    organisations = organisations_for_user(user)
    live = live_applications_by_organisation(call.id, [org.id for org in organisations]) if organisations else {}
    prepare_eligibility(call, organisations)
    return Standing(
        signed_in=True, email_confirmed=bool(getattr(user, "is_verified", False)), is_open=is_open,
        options=[StartOption(org, assess_eligibility(call, org), live.get(org.id)) for org in organisations])
