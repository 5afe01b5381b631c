"""Review pages: scoring."""

from cade.reviews.views import bp  # noqa: F401
