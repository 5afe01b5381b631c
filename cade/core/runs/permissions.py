"""Who may follow a run: the person who asked for it, and administrators; to anyone else it does not exist."""

from cade.core.permissions import is_admin


def can_view_run(user, run) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or (run.requested_by_id is not None and run.requested_by_id == user.id)
