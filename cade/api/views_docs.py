"""The OpenAPI document and its readable page, both drawn from the endpoint registry."""

import json
import re

from flask import current_app, render_template, request
from markupsafe import Markup

from cade.api import auth
from cade.api.openapi import openapi_document
from cade.api.blueprint import bp
from cade.api.views_calls import public
from cade.extensions import limiter

QUERY_MODELS = {"ListQuery", "ApplicationQuery", "FundingSummaryFilters"}
_limited = limiter.limit(auth.public_limit, key_func=auth.address_key)


@bp.get("/openapi.json")
@_limited
def openapi():
    response = current_app.response_class(json.dumps(openapi_document()), mimetype="application/json")
    return public(response)


@bp.get("/docs")
@_limited
def docs():
    document = openapi_document()
    operations = [(path, method, operation, re.sub(r"{\w+}", "1", path))
                  for path, methods in document["paths"].items() for method, operation in methods.items()]
    base_url = request.host_url.rstrip("/")
    return render_template("api/docs.html", document=document, operations=operations, base_url=base_url,
                           schemas=document["components"]["schemas"], describe=describe, query_models=QUERY_MODELS)


def describe(schema: dict) -> Markup:
    """A JSON Schema in a few words, for the docs page: "integer", "[Dimension]", "CallOut | null" (types linked)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return Markup(" | ").join(describe(option) for option in schema[combinator])
    kind = schema.get("type", "any")
    if kind == "array":
        return Markup("[{}]").format(describe(schema.get("items", {})))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return Markup("{{string: {}}}").format(describe(schema["additionalProperties"]))
    if "enum" in schema:
        return Markup(" | ").join(str(value) for value in schema["enum"])
    return Markup("{} ({})").format(kind, schema["format"]) if "format" in schema else Markup.escape(str(kind))
