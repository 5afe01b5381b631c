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

    def __init_subclass__(cls, *, status: int | None = None, slug: str | None = None, **kwargs):
        # `class NotFound(DomainError, status=404, slug="not-found")`: each refusal says what it means in HTTP.
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if slug is not None:
            cls.slug = slug

    def __init__(self, message=None, *, field: str | None = None, **params):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError, status=404, slug="not-found"):
    default_message = _l("Not found.")


class Unauthenticated(DomainError, status=401, slug="unauthenticated"):
    """No credentials, or credentials that are malformed, unknown, expired or revoked (an API token)."""


class PermissionDenied(DomainError, status=403, slug="forbidden"):
    default_message = _l("You are not allowed to do this.")


class InvalidTransition(DomainError, status=409, slug="invalid-transition"):
    default_message = _l("This cannot be done in the current state.")


class DeadlinePassed(DomainError, status=409, slug="deadline-passed"):
    default_message = _l("The deadline has passed.")


class NotEligible(DomainError, status=403, slug="not-eligible"):
    default_message = _l("Your organisation is not eligible for this call.")


class ValidationFailed(DomainError, status=422, slug="validation-failed"):
    """Several field errors at once: `errors` maps a field name to messages."""

    default_message = _l("Please correct the marked fields.")

    def __init__(self, errors: dict[str, list], message=None):
        super().__init__(message)
        self.errors = errors


class AlreadyExists(DomainError, status=409, slug="already-exists"):
    default_message = _l("This already exists.")


class UploadRejected(DomainError, status=422, slug="upload-rejected"):
    default_message = _l("This file cannot be accepted.")


class StorageUnavailable(DomainError, status=503, slug="storage-unavailable"):
    """The file storage cannot be reached, is full or refuses writes just now (cade/core/storage.py).

    A passing condition, not the person's mistake: pages save what was typed
    before the file and show this message beside the file. `reason` says what
    failed, for the log and /readyz; it is never shown to the person.
    """

    default_message = _l("Your file could not be stored just now. Nothing you saved was lost: "
                         "please try again in a few minutes.")

    @property
    def reason(self) -> str:
        return str(self.params.get("reason", ""))


class ConflictOfInterest(DomainError, status=409, slug="conflict-of-interest"):
    default_message = _l("This reviewer has a conflict of interest with this application.")


class BudgetExceeded(DomainError, status=409, slug="budget-exceeded"):
    default_message = _l("This would exceed the call's budget envelope.")


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
