"""The token holder's applications (scope "read"): those of the organisations they are a member of."""

from flask_babel import lazy_gettext as _l

from cade.api import queries
from cade.api.auth import READ
from cade.api.outputs import application_out
from cade.api.pagination import decode_cursor, page_of
from cade.api.registry import endpoint
from cade.api.types import ApplicationOut, ApplicationPage, ApplicationQuery

SCOPED_TO_MEMBERSHIPS = _l(
    "Only applications of the organisations the token's owner is a member of: an administrator's or a reviewer's "
    "role gives no further access through the API. Another organisation's application is not found (404). The "
    "decision appears once it has been released to the applicant.")


@endpoint("GET", "/applications", summary=_l("Your organisations' applications"), query=ApplicationQuery,
          response=ApplicationPage, scope=READ, description=SCOPED_TO_MEMBERSHIPS)
def applications(query: ApplicationQuery, token):
    rows = queries.applications_after(token.user_id, decode_cursor("applications", query.cursor), query.limit,
                                      status=query.status, call_id=query.call)
    shown, next_cursor = page_of("applications", rows, query.limit, key=lambda row: row[0].id)
    return ApplicationPage(items=[application_out(*row) for row in shown], next_cursor=next_cursor)


@endpoint("GET", "/applications/{application_id}", summary=_l("One of your organisations' applications"),
          response=ApplicationOut, scope=READ, errors=(404,), description=SCOPED_TO_MEMBERSHIPS)
def application(application_id: int, token):
    return application_out(*queries.application_of(token.user_id, application_id))
