"""The run/test plumbing: pinned requirements, `make test`'s two passes, `.ci/run`.

`make test` is driven here with a stand-in Python (a shell script) in a
throwaway virtualenv folder, so the test sees exactly which passes ran with
which settings and what make did with their exit codes, without running the
suite inside itself.
"""

import os
import re
import stat
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(\[[a-z0-9,]+\])?==([^\s#]+)")

FAKE_PYTHON = """#!/bin/sh
# Stand-in for .venv/bin/python: `-c` is the services check, `-m pytest` a test pass.
if [ "$1" = "-c" ]; then
    [ "$FAKE_SERVICES_UP" = "1" ] && exit 0 || exit 1
fi
# `-m tests.pip_audit_gate` is the dependency audit of `make security`; `bench/…` the small-scale benchmarks.
if [ "$2" = "tests.pip_audit_gate" ]; then exit "${FAKE_AUDIT_STATUS:-0}"; fi
case "$1" in bench/*) echo "bench $1" >> "$FAKE_LOG"; exit "${FAKE_BENCH_STATUS:-0}";; esac
echo "pass TEST_DATABASE_URL=${TEST_DATABASE_URL:-} TEST_BROKER_URL=${TEST_BROKER_URL:-} $*" >> "$FAKE_LOG"
if [ -n "${TEST_DATABASE_URL:-}" ]; then exit "${FAKE_SERVICES_STATUS:-0}"; fi
exit "${FAKE_EMBEDDED_STATUS:-0}"
"""


def _pins(*files: str) -> dict[str, str]:
    pins = {}
    for file in files or ("requirements.txt", "requirements-dev.txt"):
        pins.update(_pins_of(ROOT / file))
    return pins


def _pins_of(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line == "-r requirements.txt":
            continue
        match = PIN.match(line)
        assert match, f"not pinned with ==: {line!r}"
        pins[match.group(1)] = match.group(3)
    return pins


def test_every_requirement_is_pinned_and_installed_at_that_version():
    pins = _pins()

    mismatched = {}
    for name, pinned in pins.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            mismatched[name] = (pinned, installed)
    assert mismatched == {}
    assert pins["SQLAlchemy"].startswith("2.0.")


def test_production_installs_no_test_tool():
    runtime = {name.lower() for name in _pins("requirements.txt")}
    tools = {"pytest", "pytest-xdist", "factory_boy", "faker", "hypothesis", "playwright", "ruff", "moto",
             "schemathesis", "aiosmtpd", "openpyxl", "pypdf", "time-machine", "requests"}
    assert runtime & tools == set()
    assert (ROOT / "requirements-dev.txt").read_text().splitlines()[2] == "-r requirements.txt"


@pytest.fixture()
def fake_make(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    # `make test` compiles translations, lints and runs bandit first; those tools pass here.
    for tool in ("pybabel", "ruff", "bandit"):
        stand_in = venv / "bin" / tool
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    (venv / ".requirements-installed").touch()  # newer than requirements.txt: nothing to install
    (venv / ".requirements-dev-installed").touch()  # and the test tools are in
    log = tmp_path / "passes.log"
    log.touch()

    def run(target: str, **env: str) -> tuple[int, str, list[str]]:
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("CI", "TEST_DATABASE_URL", "TEST_BROKER_URL", "MAKEFLAGS", "MFLAGS")}
        environ.update(FAKE_LOG=str(log), **env)
        result = subprocess.run(
            ["make", "--no-print-directory", target, f"VENV={venv}"],
            cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
        )
        return result.returncode, result.stdout + result.stderr, log.read_text().splitlines()

    return run


# What `make bench-quick` runs (the Makefile's bench-quick target), in an order of its choosing: it may run
# two at once.
BENCHMARKS = ("pages", "assignment", "rush", "burst", "delivery", "memory", "weight")


def test_make_test_runs_embedded_then_postgres_and_redis(fake_make):
    status, output, passes = fake_make("test", FAKE_SERVICES_UP="1")

    assert status == 0, output
    pytest = "-m pytest -q -n auto --dist loadfile"
    assert passes[:2] == [
        f"pass TEST_DATABASE_URL= TEST_BROKER_URL= {pytest}",
        "pass TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cade_test "
        f"TEST_BROKER_URL=redis://127.0.0.1:6379/15 {pytest} --ignore=tests/e2e",
    ]
    assert sorted(passes[2:]) == sorted(f"bench bench/{name}.py" for name in BENCHMARKS)  # each once, after both


def test_a_broken_benchmark_fails_make_test_after_both_passes(fake_make):
    status, output, passes = fake_make("test", FAKE_SERVICES_UP="1", FAKE_BENCH_STATUS="1")

    assert status != 0 and "FAILED" in output
    # Both passes, then every benchmark runs even though each fails.
    assert [p for p in passes if p.startswith("pass ")] and len(passes) == 2 + len(BENCHMARKS)


@pytest.mark.parametrize("embedded, services", [("1", "0"), ("0", "1"), ("5", "0"), ("0", "5")])
def test_make_test_fails_when_either_pass_fails_or_collects_nothing(fake_make, embedded, services):
    status, output, passes = fake_make("test", FAKE_SERVICES_UP="1",
                                       FAKE_EMBEDDED_STATUS=embedded, FAKE_SERVICES_STATUS=services)

    assert status != 0
    assert len([p for p in passes if p.startswith("pass ")]) == 2  # a failing first pass does not hide the second
    assert "FAILED" in output


def test_a_failed_dependency_audit_stops_make_test_before_any_pass(fake_make):
    status, output, passes = fake_make("test", FAKE_SERVICES_UP="1", FAKE_AUDIT_STATUS="1")

    assert status != 0
    assert "tests.pip_audit_gate requirements.txt requirements-dev.txt" in output
    assert passes == []


def test_without_servers_the_second_pass_is_skipped_loudly_outside_ci(fake_make):
    status, output, passes = fake_make("test")

    assert status == 0, output
    assert passes == ["pass TEST_DATABASE_URL= TEST_BROKER_URL= -m pytest -q -n auto --dist loadfile"]
    assert "SKIPPED pytest pass 2/2" in output
    assert "SKIPPED the small-scale benchmarks" in output


def test_without_servers_the_second_pass_fails_in_ci(fake_make):
    status, output, passes = fake_make("test", CI="true")

    assert status != 0
    assert "CI=true" in output
    assert "SKIPPED" not in output


def test_ci_script_is_executable_bash_that_starts_the_services_and_runs_make_test():
    script = ROOT / ".ci" / "run"
    text = script.read_text()

    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert "set -euo pipefail" in text
    assert "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" in text
    assert ('redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
            "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log") in text
    assert "rabbitmq-server -detached" in text
    assert text.rstrip().endswith("make test </dev/null")


def test_make_serve_runs_gunicorn_with_its_config_in_production(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "serve.log"
    for tool in ("python", "pybabel", "gunicorn"):
        stand_in = venv / "bin" / tool
        stand_in.write_text('#!/bin/sh\necho "$(basename "$0") $* CADE_ENV=${CADE_ENV:-}" >> "$FAKE_LOG"\n')
        stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    (venv / ".requirements-installed").touch()
    environ = {k: v for k, v in os.environ.items() if k not in ("CADE_ENV", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(["make", "--no-print-directory", "serve", f"VENV={venv}"], cwd=ROOT,
                            env=dict(environ, FAKE_LOG=str(log)), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gunicorn -c gunicorn.conf.py wsgi:app CADE_ENV=production" in log.read_text().splitlines()


def test_the_systemd_units_in_docs_are_the_files_shipped_beside_them():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    units = re.findall(r"\[`deploy/([^`]+)`\].*?```ini\n(.*?)```", guide, re.S)
    assert {name for name, _body in units} == {"cade-web.service", "cade-worker@.service", "cade-beat.service"}
    for name, body in units:
        assert (ROOT / "docs" / "deploy" / name).read_text() == body, name
        assert "ExecStart=/srv/cade/.venv/bin/" in body and "EnvironmentFile=/etc/cade/env" in body


RUN_STAND_IN = """#!/bin/sh
# Stand-in for a tool of the virtualenv during `make run`: logs how it was called and with which BASE_URL.
echo "$(basename "$0") $* BASE_URL=${BASE_URL:-}" >> "$FAKE_LOG"
"""


@pytest.fixture()
def fake_run(tmp_path):
    """`make run` with stand-ins for python, flask, celery and pybabel that log their BASE_URL and return."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for tool in ("python", "flask", "celery", "pybabel"):
        stand_in = venv / "bin" / tool
        stand_in.write_text(RUN_STAND_IN)
        stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    (venv / ".requirements-installed").touch()
    log = tmp_path / "run.log"
    log.touch()

    def run(*args: str, **env: str) -> list[str]:
        environ = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "MAKEFLAGS", "MFLAGS")}
        environ.update(FAKE_LOG=str(log), **env)
        result = subprocess.run(["make", "--no-print-directory", "run", f"VENV={venv}", *args],
                                cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return [line for line in log.read_text().splitlines() if line.startswith("flask --app wsgi run")]

    return run


def test_make_run_links_e_mails_to_the_port_it_serves_on(fake_run):
    assert fake_run("PORT=5050") == ["flask --app wsgi run --host 127.0.0.1 --port 5050 "
                                     "BASE_URL=http://127.0.0.1:5050"]


def test_a_base_url_set_by_hand_wins_over_the_port(fake_run):
    served = fake_run("PORT=5050", BASE_URL="https://grants.example.org")
    assert served == ["flask --app wsgi run --host 127.0.0.1 --port 5050 BASE_URL=https://grants.example.org"]
