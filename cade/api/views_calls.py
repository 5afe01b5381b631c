"""Public endpoints: published calls, and the open-data files."""

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l

from cade.api import queries
from cade.api.outputs import call_out
from cade.api.pagination import decode_cursor, page_of
from cade.api.registry import endpoint, json_response
from cade.api.types import CallOut, CallPage, ListQuery

PUBLIC_MAX_AGE = 60


def public(response: Response) -> Response:
    """A public document: cacheable for a minute, with an ETag; a matching If-None-Match gets a 304."""
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)


@endpoint("GET", "/calls", summary=_l("Published calls"), query=ListQuery, response=CallPage, cacheable=True,
          description=_l("Every published call (open, upcoming or closed), in the order they were created."))
def calls(query: ListQuery):
    rows = queries.calls_after(decode_cursor("calls", query.cursor), query.limit)
    shown, next_cursor = page_of("calls", rows, query.limit)
    return public(json_response(CallPage(items=[call_out(call) for call in shown], next_cursor=next_cursor)))


@endpoint("GET", "/calls/{call_id}", summary=_l("One published call"), response=CallOut, cacheable=True,
          errors=(404,), description=_l("A call that is not published is not found."))
def call(call_id: int):
    return public(json_response(call_out(queries.published_call(call_id))))


def _document(kind: str) -> Response:
    from cade.reports.open_data.documents import current_document

    document = current_document(kind)
    response = current_app.response_class(document.content, mimetype=None)
    response.headers["Content-Type"] = document.content_type
    response.headers["ETag"] = document.etag  # already quoted (cade/reports/open_data/documents.py)
    response.last_modified = document.generated_at
    return public(response)


@endpoint("GET", "/open-data/360giving.json", summary=_l("360Giving package of released awards"),
          media_type="application/json", cacheable=True,
          description=_l("Released awards as a 360Giving data package. Organisations that have not agreed to be "
                         "named appear as an anonymised recipient of their region."))
def open_data_360giving():
    return _document("360giving")


@endpoint("GET", "/open-data/iati.xml", summary=_l("IATI 2.03 activities of released awards"),
          media_type="application/xml", cacheable=True,
          description=_l("Released awards as IATI 2.03 activities, with the same anonymisation as 360Giving."))
def open_data_iati():
    return _document("iati")
