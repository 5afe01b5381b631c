"""Domain errors: services raise them, views turn them into clear messages."""

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A business rule refused the action; `message` is safe to show the user."""

    default_message = _l("This action is not allowed.")

    def __init__(self, message=None, *, field: str | None = None, **params):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    default_message = _l("Not found.")


class PermissionDenied(DomainError):
    default_message = _l("You are not allowed to do this.")


class InvalidTransition(DomainError):
    default_message = _l("This cannot be done in the current state.")


class DeadlinePassed(DomainError):
    default_message = _l("The deadline has passed.")


class NotEligible(DomainError):
    default_message = _l("Your organisation is not eligible for this call.")


class ValidationFailed(DomainError):
    """Several field errors at once: `errors` maps a field name to messages."""

    default_message = _l("Please correct the marked fields.")

    def __init__(self, errors: dict[str, list], message=None):
        super().__init__(message)
        self.errors = errors


class AlreadyExists(DomainError):
    default_message = _l("This already exists.")


class UploadRejected(DomainError):
    default_message = _l("This file cannot be accepted.")


class ConflictOfInterest(DomainError):
    default_message = _l("This reviewer has a conflict of interest with this application.")


class BudgetExceeded(DomainError):
    default_message = _l("This would exceed the call's budget envelope.")
