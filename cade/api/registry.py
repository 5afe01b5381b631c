"""Each endpoint declared once: its path, method, types, scope and errors make both the Flask route and its
entry in the OpenAPI document (cade/api/openapi.py), so the two cannot drift apart.

    @endpoint("GET", "/calls/{call_id}", summary=..., response=CallOut, errors=(404,))
    def call(call_id: int, query): ...

The handler Flask calls checks the token (`scope`), reads the query string into the endpoint's query model
(unknown parameters are a 400 naming each), calls the view, commits (a token's last use is noted) and writes
the view's pydantic result as JSON. A view may return a Flask response of its own (a document, a 304).
"""

import functools
import re
import typing
from dataclasses import dataclass, field

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError

from cade.api import auth
from cade.api.problems import bad_request, from_validation_error
from cade.api.types import MAX_ID
from cade.api.blueprint import bp
from cade.core.errors import NotFound
from cade.extensions import db, limiter


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as OpenAPI writes it, under /api/v1: "/calls/{call_id}"
    name: str
    summary: str
    description: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    media_type: str = "application/json"
    status: int = 200
    scope: str | None = None  # None: public
    errors: tuple[int, ...] = ()
    cacheable: bool = False  # answers with an ETag and 304 to If-None-Match
    headers: dict = field(default_factory=dict)  # response headers of the success status: {name: description}

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


ENDPOINTS: list[Endpoint] = []


def endpoint(method: str, path: str, **options):
    """Declare an API endpoint (see the module docstring) and route it on the blueprint."""

    def decorator(view):
        spec = Endpoint(method=method, path=path, name=view.__name__, **options)
        ENDPOINTS.append(spec)

        @functools.wraps(view)
        def handler(**path_values):
            for value in path_values.values():
                if value > MAX_ID:  # past any row's id: nothing there (and too large for the database)
                    raise NotFound()
            token = auth.authorise(spec.scope) if spec.scope else None
            kwargs = dict(path_values)
            if spec.query is not None:
                kwargs["query"] = read_query(spec.query)
            elif request.args:
                raise unknown_parameters(list(request.args))
            if spec.body is not None:
                kwargs["body"] = read_body(spec.body)
            if spec.scope:
                kwargs["token"] = token
            result = view(**kwargs)
            db.session.commit()  # the boundary: a token's last use, a queued run
            return result if isinstance(result, Response) else json_response(result, spec.status)

        limited = limiter.limit(auth.token_limit if spec.scope else auth.public_limit,
                                key_func=auth.token_key if spec.scope else auth.address_key)(handler)
        rule = re.sub(r"{(\w+)}", r"<int:\1>", path)
        bp.add_url_rule(rule, endpoint=spec.name, view_func=limited, methods=[method])
        return view

    return decorator


def json_response(model: BaseModel, status: int = 200) -> Response:
    return current_app.response_class(model.model_dump_json(by_alias=True), status=status,
                                      mimetype="application/json")


def unknown_parameters(names: list[str]):
    return bad_request({name: [_l("Unknown parameter.")] for name in names})


def _is_list(annotation) -> bool:
    return typing.get_origin(annotation) is list


def read_query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model`: lists repeated or comma-separated; any other parameter given once."""
    fields = {(spec.alias or name): spec for name, spec in model.model_fields.items()}
    unknown = [name for name in request.args if name not in fields]
    if unknown:
        raise unknown_parameters(unknown)
    data, errors = {}, {}
    for name, spec in fields.items():
        values = request.args.getlist(name)
        if not values:
            continue
        if _is_list(spec.annotation):
            data[name] = [part.strip() for value in values for part in value.split(",") if part.strip()]
        elif len(values) > 1:
            errors[name] = [_l("Give this parameter once.")]
        else:
            data[name] = values[0]
    if errors:
        raise bad_request(errors)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error) from None


def read_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body as `model`; a body that is not a JSON object is a 400 naming `body`."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise bad_request({"body": [_l("Send a JSON object (Content-Type: application/json).")]})
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error) from None
