"""The JSON API v1 blueprint; the routes live in the modules joined below."""

from cade.api.blueprint import bp

from cade.api import views_applications, views_calls, views_docs, views_reports  # noqa: E402,F401

__all__ = ["bp"]
