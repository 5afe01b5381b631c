"""Who may see and change accounts and roles."""

from cade.core.permissions import is_admin


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_edit_profile(user, target) -> bool:
    """A person edits their own profile; an admin edits anyone's."""
    return _signed_in(user) and target is not None and (user.id == target.id or is_admin(user))


def can_manage_roles(user, target=None) -> bool:
    """Only admins grant and revoke roles."""
    return _signed_in(user) and is_admin(user)
