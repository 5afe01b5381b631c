"""Review pages: assignments."""

from cade.reviews.views import bp  # noqa: F401
