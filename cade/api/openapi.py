"""The OpenAPI 3.1 document, generated from the endpoint registry (cade/api/registry.py) and its pydantic types.

Schemas come from pydantic's JSON Schema (`models_json_schema`, draft 2020-12, which OpenAPI 3.1 speaks), with
`#/components/schemas/{model}` references; query parameters are the fields of each endpoint's query model;
every response is listed, errors as RFC 9457 problem details. The document is built once per language (the
summaries are translated) and kept.
"""

from flask_babel import force_locale, get_locale
from pydantic.json_schema import models_json_schema

from cade.api.registry import ENDPOINTS, Endpoint
from cade.api.types import MAX_ID, Problem

REF = "#/components/schemas/{model}"
PROBLEM = "application/problem+json"
ERROR_DESCRIPTIONS = {
    400: "The request could not be read: `errors` names each parameter or field, with what is wrong.",
    401: "No token, or a token that is malformed, unknown, expired or revoked.",
    403: "The token lacks the scope this needs (or its owner is no longer an administrator).",
    404: "Not found, or not yours to see.",
    409: "This cannot be done in the current state.",
    429: "Too many requests: wait the seconds in Retry-After.",
    500: "Something went wrong on our side (no details are given).",
}
DESCRIPTION = """\
The CADE Grants JSON API. Public endpoints (calls, open data) need no token. The others need a personal token,
made on your profile page and sent as `Authorization: Bearer <token>`; a signed-in browser session does not
authenticate API calls. Scope `read` reads the applications of the organisations you are a member of (and no
others, whatever your role); scope `admin-read` (administrators only) reads reports.

Lists are paginated by cursor: each page is `{"items": [...], "next_cursor": ...}`; pass `next_cursor` as
`cursor` for the next page, until it is null. Errors are RFC 9457 problem details (`application/problem+json`).
Calls are rate-limited per token (per address without one); beyond the limit the answer is 429 with Retry-After.
Public documents carry an ETag: send it back as If-None-Match to get 304 when nothing changed.
"""

_documents: dict[str, dict] = {}


def openapi_document() -> dict:
    """The OpenAPI document in the current language (built on first use)."""
    locale = str(get_locale() or "en")
    if locale not in _documents:
        with force_locale(locale):
            _documents[locale] = build_document(ENDPOINTS)
    return _documents[locale]


def _models(endpoints: list[Endpoint]) -> list[tuple[type, str]]:
    found = {(Problem, "serialization")}
    for spec in endpoints:
        found |= {(model, "validation") for model in (spec.query, spec.body) if model is not None}
        if spec.response is not None:
            found.add((spec.response, "serialization"))
    return sorted(found, key=lambda pair: (pair[0].__name__, pair[1]))


def build_document(endpoints: list[Endpoint]) -> dict:
    refs, definitions = models_json_schema(_models(endpoints), ref_template=REF)
    schemas = definitions.get("$defs", {})
    paths: dict[str, dict] = {}
    for spec in endpoints:
        paths.setdefault(f"/api/v1{spec.path}", {})[spec.method.lower()] = _operation(spec, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "CADE Grants API", "version": "1.0.0", "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A personal API token from your profile page."}},
        },
    }


def _operation(spec: Endpoint, refs: dict, schemas: dict) -> dict:
    operation = {"operationId": spec.name, "summary": str(spec.summary), "tags": [spec.path.split("/")[1]],
                 "parameters": _path_parameters(spec) + _query_parameters(spec, refs, schemas),
                 "responses": _responses(spec, refs), "security": [{"bearer": []}] if spec.scope else []}
    if spec.description:
        operation["description"] = str(spec.description)
    if spec.scope:
        operation["x-scope"] = spec.scope
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(spec.body, "validation")]}}}
    return operation


def _path_parameters(spec: Endpoint) -> list[dict]:
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}} for name in spec.path_params]


def _query_parameters(spec: Endpoint, refs: dict, schemas: dict) -> list[dict]:
    if spec.query is None:
        return []
    model = schemas[refs[(spec.query, "validation")]["$ref"].rsplit("/", 1)[1]]
    required = set(model.get("required", []))
    parameters = []
    for name, schema in model.get("properties", {}).items():
        schema = _optional_value(schema)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if "description" in schema:
            parameter["description"] = schema.pop("description")
        if schema.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


def _optional_value(schema: dict) -> dict:
    """A query parameter's schema: an optional value is absent rather than null (a query string has no null)."""
    schema = {key: value for key, value in schema.items() if key != "title" and (key, value) != ("default", None)}
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if "anyOf" in schema and len(options) == 1:
        del schema["anyOf"]
        schema = {**options[0], **schema}
    return schema


def _problem(status: int, refs: dict, headers: dict | None = None) -> dict:
    response = {"description": ERROR_DESCRIPTIONS[status],
                "content": {PROBLEM: {"schema": refs[(Problem, "serialization")]}}}
    if headers:
        response["headers"] = headers
    return response


def _responses(spec: Endpoint, refs: dict) -> dict:
    if spec.response is not None:
        schema = refs[(spec.response, "serialization")]
    else:
        schema = {"type": "object"} if spec.media_type.endswith("json") else {"type": "string"}
    headers = {name: {"description": str(text), "schema": {"type": "string"}} for name, text in spec.headers.items()}
    if spec.cacheable:
        headers["ETag"] = {"description": "Send it back as If-None-Match.", "schema": {"type": "string"}}
    success = {"description": str(spec.summary), "content": {spec.media_type: {"schema": schema}}}
    if headers:
        success["headers"] = headers
    responses = {str(spec.status): success}
    if spec.cacheable:
        responses["304"] = {"description": "Not modified since the ETag sent in If-None-Match."}
    statuses = {400, 429, 500, *spec.errors} | ({401, 403} if spec.scope else set())
    for status in sorted(statuses):
        headers = None
        if status == 401:
            headers = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
        if status == 429:
            headers = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
        responses[str(status)] = _problem(status, refs, headers)
    return responses
