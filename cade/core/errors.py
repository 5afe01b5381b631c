"""Domain errors: services raise them, views turn them into clear messages.

Each class carries the one HTTP status it means (`status`), so that every
boundary answers the same refusal the same way: a page that lets the error
reach Flask gets the site's error page with that status and the message, a
JSON endpoint gets RFC 9457 problem details (`problem_details`), and a view
that shows the error inside its own form asks `error.status` for the code.
"""

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A business rule refused the action; `message` is safe to show the user."""

    default_message = _l("This action is not allowed.")
    status = 400  # the HTTP status a boundary answers with
    # RFC 9457 `type`: a stable name for the kind of refusal, relative to the site (see problem_details).
    slug = "refused"

    def __init__(self, message=None, *, field: str | None = None, **params):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    default_message = _l("Not found.")
    status = 404
    slug = "not-found"


class PermissionDenied(DomainError):
    default_message = _l("You are not allowed to do this.")
    status = 403
    slug = "forbidden"


class InvalidTransition(DomainError):
    default_message = _l("This cannot be done in the current state.")
    status = 409
    slug = "invalid-transition"


class DeadlinePassed(DomainError):
    default_message = _l("The deadline has passed.")
    status = 409
    slug = "deadline-passed"


class NotEligible(DomainError):
    default_message = _l("Your organisation is not eligible for this call.")
    status = 403
    slug = "not-eligible"


class ValidationFailed(DomainError):
    """Several field errors at once: `errors` maps a field name to messages."""

    default_message = _l("Please correct the marked fields.")
    status = 422
    slug = "validation-failed"

    def __init__(self, errors: dict[str, list], message=None):
        super().__init__(message)
        self.errors = errors


class AlreadyExists(DomainError):
    default_message = _l("This already exists.")
    status = 409
    slug = "already-exists"


class UploadRejected(DomainError):
    default_message = _l("This file cannot be accepted.")
    status = 422
    slug = "upload-rejected"


class ConflictOfInterest(DomainError):
    default_message = _l("This reviewer has a conflict of interest with this application.")
    status = 409
    slug = "conflict-of-interest"


class BudgetExceeded(DomainError):
    default_message = _l("This would exceed the call's budget envelope.")
    status = 409
    slug = "budget-exceeded"


def problem_details(error: DomainError, instance: str | None = None) -> dict:
    """The RFC 9457 body for `error`: type, title, status, detail, and field errors where there are some."""
    body = {"type": f"/problems/{error.slug}", "title": str(type(error).default_message),
            "status": error.status, "detail": str(error.message)}
    if instance:
        body["instance"] = instance
    if error.field:
        body["field"] = error.field
    errors = getattr(error, "errors", None)
    if errors:
        body["errors"] = {name: [str(message) for message in messages] for name, messages in errors.items()}
    return body
