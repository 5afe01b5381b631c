"""A production start refuses settings that only suit a developer's machine, naming each variable to set."""

import subprocess
import sys
from pathlib import Path

import pytest

from cade.core.production import UnsafeProductionSettings, production_problems

ROOT = Path(__file__).resolve().parents[2]
SAFE = {
    "SECRET_KEY": "k" * 48,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://cade@db/cade",
    "RATELIMIT_STORAGE_URI": "redis://redis:6379/2",
    "CELERY": {"broker_url": "redis://redis:6379/0"},
    "BASE_URL": "https://grants.example.org",
    "STORAGE_BACKEND": "s3",
    "S3_BUCKET": "cade-files",
    "WEB_PROCESSES": 5,
    "WEB_HOSTS": 2,
    "DEV_MAILBOX": False,
}


def test_a_safe_production_configuration_has_no_problems():
    assert production_problems(SAFE) == []


@pytest.mark.parametrize(("change", "variable"), [
    ({"SECRET_KEY": "dev-only-secret-change-me"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/cade.sqlite"}, "DATABASE_URL"),
    ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ({"CELERY": {"broker_url": "sqla+sqlite:////srv/broker.sqlite"}}, "CELERY_BROKER_URL"),
    ({"STORAGE_BACKEND": "local"}, "STORAGE_BACKEND=s3"),
    ({"S3_BUCKET": None}, "S3_BUCKET"),
    ({"BASE_URL": None}, "BASE_URL"),
    ({"DEV_MAILBOX": True}, "DEV_MAILBOX"),
])
def test_each_unsafe_setting_is_named(change, variable):
    problems = production_problems({**SAFE, **change})
    assert len(problems) == 1, problems
    assert variable in problems[0]


def test_one_process_on_one_host_may_keep_sqlite_local_files_and_memory_counters():
    single = {**SAFE, "SQLALCHEMY_DATABASE_URI": "sqlite:////srv/cade.sqlite", "RATELIMIT_STORAGE_URI": "memory://",
              "STORAGE_BACKEND": "local", "WEB_PROCESSES": 1, "WEB_HOSTS": 1}
    assert production_problems(single) == []


def test_every_problem_is_reported_at_once():
    problems = production_problems({**SAFE, "SECRET_KEY": None, "BASE_URL": None, "S3_BUCKET": None})
    assert len(problems) == 3
    message = str(UnsafeProductionSettings(problems))
    assert "SECRET_KEY" in message and "BASE_URL" in message and "S3_BUCKET" in message


def test_gunicorn_refuses_to_serve_a_development_configuration(tmp_path):
    """What an operator sees: `make serve` on the embedded defaults stops before serving, naming the variables."""
    env = {"PATH": "/usr/bin:/bin", "CADE_ENV": "production", "CADE_INSTANCE_PATH": str(tmp_path),
           "WEB_CONCURRENCY": "3", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import gunicorn.app.wsgiapp as g; g.run()", "-c",
                             "gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for variable in ("SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "CELERY_BROKER_URL", "BASE_URL"):
        assert variable in output, output[-3000:]

