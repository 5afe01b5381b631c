"""Who may set up a two-stage call. (Who reads a concept note beside its full proposal: cade/stages/reading.py.)"""

from cade.core.permissions import is_admin


def can_manage_stages(user) -> bool:
    """Administrators link a full-proposal call to its concept-note call, and undo it."""
    return is_admin(user)
