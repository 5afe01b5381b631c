"""Who may manage programmes and who may see a call."""

from cade.core.permissions import is_admin
from cade.programmes.constants import CallStatus


def can_manage_programmes(user) -> bool:
    """Programme officers (admins) create and edit programmes, calls, questions and rubrics."""
    return is_admin(user)


def can_view_call(user, call) -> bool:
    """Everyone sees a published call; a draft is visible to admins only (as a preview)."""
    if call is None:
        return False
    return call.status == CallStatus.PUBLISHED or is_admin(user)
