"""Helpers shared by every domain's permissions: roles and view guards."""

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ADMIN = "admin"
REVIEWER = "reviewer"
TRAINER = "trainer"
ROLES = (ADMIN, REVIEWER, TRAINER)
ROLE_LABELS = {ADMIN: _l("Administrator"), REVIEWER: _l("Reviewer"), TRAINER: _l("Trainer")}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def has_role(user, role: str) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(role))


def is_admin(user) -> bool:
    return has_role(user, ADMIN)


def role_required(role: str):
    """View decorator: 404 for strangers keeps admin pages from being discovered."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from flask import current_app

                return current_app.login_manager.unauthorized()
            if not has_role(current_user, role):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(ADMIN)


def require_admin(actor) -> None:
    """Raise PermissionDenied unless `actor` is an administrator (services' first line for admin-only work)."""
    from cade.core.errors import PermissionDenied

    if not is_admin(actor):
        raise PermissionDenied()
