"""Review pages: pool."""

from cade.reviews.views import bp  # noqa: F401
