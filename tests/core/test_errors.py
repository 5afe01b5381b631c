"""One mapping from domain errors to HTTP: the error page for pages, problem details for the API."""

from markupsafe import escape

import pytest

from cade import create_app
from cade.core import errors
from cade.core.views import http_status_for
from config import TestConfig

EXPECTED = [
    (errors.DomainError, 400), (errors.NotFound, 404), (errors.PermissionDenied, 403),
    (errors.InvalidTransition, 409), (errors.DeadlinePassed, 409), (errors.NotEligible, 403),
    (errors.AlreadyExists, 409), (errors.UploadRejected, 422), (errors.ConflictOfInterest, 409),
    (errors.BudgetExceeded, 409),
]


@pytest.fixture(scope="module")
def raising_app(tmp_path_factory):
    """An app of its own with routes that raise each error (routes cannot be added to a used app)."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://",
                     STORAGE_PATH=str(tmp_path_factory.mktemp("files")), PROPAGATE_TEST_ERRORS=True)

    @app.get("/boom/<name>")
    @app.get("/api/v1/boom/<name>")
    def boom(name):
        if name == "ValidationFailed":
            raise errors.ValidationFailed({"title": ["Give your application a title."]})
        raise getattr(errors, name)()

    return app


@pytest.mark.parametrize(("cls", "status"), EXPECTED)
def test_a_page_answers_the_status_the_error_means_with_its_message(raising_app, cls, status):
    response = raising_app.test_client().get(f"/boom/{cls.__name__}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert escape(str(cls.default_message)) in response.get_data(as_text=True)


@pytest.mark.parametrize(("cls", "status"), EXPECTED)
def test_the_api_answers_rfc_9457_problem_details(raising_app, cls, status):
    response = raising_app.test_client().get(f"/api/v1/boom/{cls.__name__}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["detail"] == str(cls.default_message)
    assert body["type"].startswith("/problems/") and body["title"]
    assert body["instance"] == f"/api/v1/boom/{cls.__name__}"


def test_field_errors_travel_with_the_problem(raising_app):
    response = raising_app.test_client().get("/api/v1/boom/ValidationFailed")
    assert response.status_code == 422
    assert response.get_json(force=True)["errors"] == {"title": ["Give your application a title."]}


def test_a_spent_link_is_gone_and_other_refusals_keep_their_status():
    assert http_status_for(errors.InvalidTransition()) == 410
    assert http_status_for(errors.NotFound()) == 404
    assert http_status_for(errors.PermissionDenied()) == 403
    assert http_status_for(errors.DomainError()) == 400
