"""Award pages: outcome."""

from cade.awards.views import bp  # noqa: F401
