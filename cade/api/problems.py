"""The API's own refusals: a request it cannot read (400, naming each field) and a scope it lacks (403)."""

from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from cade.core.errors import PermissionDenied, ValidationFailed


class BadRequest(ValidationFailed, status=400, slug="invalid-request"):
    """A query parameter or body field the endpoint cannot read: `errors` names each one."""

    default_message = _l("The request is not valid: see the fields named.")


class MissingScope(PermissionDenied, slug="insufficient-scope"):
    default_message = _l("This token may not be used for this. Make a token with the scope it needs.")


def bad_request(errors: dict[str, list]) -> BadRequest:
    return BadRequest({name: [str(message) for message in messages] for name, messages in errors.items()})


def from_validation_error(error: ValidationError, *, prefix: str | None = None) -> BadRequest:
    """A pydantic ValidationError as a BadRequest naming each field by its public name (alias)."""
    errors: dict[str, list] = {}
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"] if not isinstance(part, int)]
        name = location[0] if location else (prefix or "body")
        errors.setdefault(name, []).append(item["msg"])
    return bad_request(errors)


# The service commands' field names, as the API calls them (cade/reports/services/summary.FundingSummaryInput).
SUMMARY_FIELD_NAMES = {"programme_ids": "programme", "call_ids": "call", "date_from": "from", "date_to": "to"}


def renamed(error: ValidationFailed, names: dict[str, str]) -> BadRequest:
    """A service's ValidationFailed, with its field names as the API's client sent them."""
    return bad_request({names.get(name, name): messages for name, messages in error.errors.items()})
