"""Fixtures for the notifications tests: a real SMTP sink, the test e-mail templates
and the in-memory broker's queue."""

from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader



TEMPLATES = Path(__file__).parent / "templates"
TEST_KIND = "testing.hello"


@pytest.fixture()
def email_templates(app, monkeypatch):
    """Adds tests/notifications/templates (kind "testing.hello") to the app's loader."""
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([FileSystemLoader(str(TEMPLATES)), app.jinja_loader]))
    return TEST_KIND
