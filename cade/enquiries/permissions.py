"""Who may ask questions about a call, and who answers them and publishes its notices."""

from cade.core.permissions import is_admin
from cade.programmes.constants import CallStatus


def can_ask_question(user, call) -> bool:
    """Anyone signed in with a confirmed e-mail address, about a published call (the cut-off is the service's)."""
    return bool(call is not None and call.status == CallStatus.PUBLISHED and getattr(user, "is_authenticated", False)
                and getattr(user, "is_verified", False))


def can_manage_enquiries(user) -> bool:
    """Programme officers (admins) read the questions, publish answers and notices, and set the cut-off."""
    return is_admin(user)
