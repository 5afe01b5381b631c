"""The funding summary of the demo, as an administrator reads it: light pages, in every language."""

import pytest
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.runs import RunStatus
from cade.extensions import db as _db
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput
from tests.quality.conftest import assert_pages_are_light


@pytest.fixture()
def demo_report(app, db):
    """The demo data and its full funding summary in EUR, compiled as the demo's administrator."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    admin = _db.session.scalar(select(User).where(User.email == "admin@cade.example"))
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "EUR"}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return admin, run


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_the_demo_dashboard_stays_under_60_kb(demo_report, client, login, language):
    admin, run = demo_report
    assert_pages_are_light(client, login, [(admin, ["/reports/", f"/reports/{run.id}/"])], language)


def test_the_demo_summary_has_something_in_every_chart(demo_report, client, login):
    admin, run = demo_report
    summary = run.result
    assert len(summary["breakdowns"]["region"]) >= 5
    assert {g["key"] for g in summary["breakdowns"]["stakeholder_group"]} >= {
        "civil_society", "technical_community", "academia", "private_sector", "government"}
    assert len(summary["breakdowns"]["year"]) >= 3
    assert all(group["converted"]["awards"] > 0 for group in summary["breakdowns"]["year"])
    baselines = {t["value"]: t["baseline_share"] for t in summary["targets"]}
    assert baselines == {"002": "0.0800", "419": "0.0700", "technical_community": "0.1400"}
    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    assert page.count("<svg") == 4
    assert "Latin America and the Caribbean" in page and "IGF" in page
