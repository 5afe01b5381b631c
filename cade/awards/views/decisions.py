"""Award pages: decisions."""

from cade.awards.views import bp  # noqa: F401
