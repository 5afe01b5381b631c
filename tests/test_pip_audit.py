"""The dependency audit's gate (tests/pip_audit_gate.py): pip-audit's answers, as recorded, and what each means.

The outputs below are pip-audit 2.10.1's own: those of this machine (a registry mirror that answers for
package pages but 404 for the version pages pip-audit reads, and no route to other hosts) as they came,
cut to a few packages; the reports with vulnerabilities were written by pip-audit's JSON formatter
(pip_audit._format.json.JsonFormat) from its own result types, since no vulnerability feed answers here.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pip_audit_gate import command, decide

ROOT = Path(__file__).resolve().parent.parent
WARNINGS = ("WARNING:pip_audit._cli:--no-deps is supported, but users are encouraged to fully hash their pinned "
            "dependencies\nWARNING:pip_audit._cli:Consider using a tool like `pip-compile`: "
            "https://pip-tools.readthedocs.io/en/latest/#using-hashes\n")

# This machine: PyPI's version pages are not served, so every requirement is "not found"; pip-audit exits 0.
NOT_FOUND_ANYWHERE = (0, json.dumps({"dependencies": [
    {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.3)"},
    {"name": "werkzeug", "skip_reason": "Dependency not found on PyPI and could not be audited: werkzeug (3.1.9)"},
    {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited: jinja2 (3.1.6)"},
], "fixes": []}), WARNINGS + "No known vulnerabilities found\n")

# No DNS for the feed's host (here with `-s osv`): an uncaught traceback, no report.
NO_DNS = (1, "", WARNINGS + """Traceback (most recent call last):
  File "/work/main/.venv/lib/python3.11/site-packages/urllib3/connection.py", line 239, in _new_conn
socket.gaierror: [Errno -2] Name or service not known
urllib3.exceptions.NameResolutionError: HTTPSConnection(host='api.osv.dev', port=443): Failed to resolve 'api.osv.dev' ([Errno -2] Name or service not known)
  File "/work/main/.venv/lib/python3.11/site-packages/requests/adapters.py", line 729, in send
    raise ConnectionError(e, request=request)
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded with url: /v1/query (Caused by NameResolutionError("HTTPSConnection(host='api.osv.dev', port=443): Failed to resolve 'api.osv.dev' ([Errno -2] Name or service not known)"))
""")

# A time-out reaching PyPI: pip-audit's own connection error, logged, no report.
TIMED_OUT = (1, "", WARNINGS + "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed\n"
             "ERROR:pip_audit._cli:Tip: your network may be blocking this service. Try another service with "
             "`-s SERVICE`\n")

CLEAN = (0, json.dumps({"dependencies": [
    {"name": "flask", "version": "3.1.3", "vulns": []},
    {"name": "jinja2", "version": "3.1.6", "vulns": []},
], "fixes": []}), WARNINGS + "No known vulnerabilities found\n")

VULNERABLE = (1, json.dumps({"dependencies": [
    {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
    {"name": "flask", "version": "3.1.3", "vulns": []},
], "fixes": []}), WARNINGS + "Found 1 known vulnerability in 1 package\n")

# Some requirements checked, one not found: the rule of --strict, applied by the gate.
ONE_UNCHECKED = (0, json.dumps({"dependencies": [
    {"name": "cade-private-tool", "skip_reason": "Dependency not found on PyPI and could not be audited: "
                                                 "cade-private-tool (1.0)"},
    {"name": "jinja2", "version": "3.1.6", "vulns": []},
], "fixes": []}), WARNINGS + "No known vulnerabilities found\n")

BAD_FILE = (1, "", WARNINGS + "ERROR:pip_audit._cli:requirement file /tmp/tmpiqpr_r7p contains invalid specifier "
            "at line 1: Invalid requirement: : Expected semicolon (after name with no version specifier) or end\n"
            "    not a requirement ===\n        ^\n")


@pytest.mark.parametrize("recorded, why", [
    (NOT_FOUND_ANYWHERE, "knows none of the 3 pinned versions"),
    (NO_DNS, "could not be reached (requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev'"),
    (TIMED_OUT, "could not be reached (Could not connect to PyPI's vulnerability feed Tip: your network"),
])
def test_a_feed_that_cannot_answer_skips_with_its_reason(recorded, why):
    verdict = decide(*recorded)
    assert verdict.passed
    assert verdict.message.startswith("pip-audit skipped: ") and why in verdict.message


def test_every_requirement_checked_and_clean_passes():
    verdict = decide(*CLEAN)
    assert verdict.passed and verdict.message == "pip-audit: 2 pinned requirements checked, no known vulnerability."


def test_a_known_vulnerability_fails_naming_the_package_the_advisory_and_the_fix():
    verdict = decide(*VULNERABLE)
    assert not verdict.passed
    assert "1 known vulnerability" in verdict.message
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95, fixed in 3.1.3" in verdict.message
    assert "flask" not in verdict.message


def test_a_vulnerability_fails_even_when_other_requirements_were_not_found():
    returncode, report, log = VULNERABLE
    dependencies = json.loads(report)["dependencies"] + json.loads(NOT_FOUND_ANYWHERE[1])["dependencies"]
    verdict = decide(returncode, json.dumps({"dependencies": dependencies, "fixes": []}), log)
    assert not verdict.passed
    assert "GHSA-h5c8-rqwp-cp95" in verdict.message and "werkzeug: not checked" in verdict.message


def test_one_requirement_left_unchecked_while_others_were_checked_fails():
    verdict = decide(*ONE_UNCHECKED)
    assert not verdict.passed
    assert "could not check 1 of 2 requirements" in verdict.message and "cade-private-tool" in verdict.message


@pytest.mark.parametrize("recorded", [BAD_FILE, (0, json.dumps({"dependencies": [], "fixes": []}), WARNINGS),
                                      (1, CLEAN[1], "Traceback: something else went wrong"),
                                      (1, "not json", "Traceback (most recent call last):\nKeyError: 'info'")])
def test_anything_else_fails_rather_than_passing_unchecked(recorded):
    assert not decide(*recorded).passed


def test_the_gate_runs_pip_audit_over_the_files_as_pinned():
    assert command(["requirements.txt", "requirements-dev.txt"]) == [
        sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--format", "json", "--progress-spinner",
        "off", "-r", "requirements.txt", "-r", "requirements-dev.txt"]


# The real pip-audit, on small files: the same answer here and on a machine with PyPI's feed.

def _gate(tmp_path, requirements: str):
    path = tmp_path / "requirements.txt"
    path.write_text(requirements)
    return subprocess.run([sys.executable, "-m", "tests.pip_audit_gate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_real_pip_audit_on_a_package_no_feed_knows_skips(tmp_path):
    done = _gate(tmp_path, "cade-grants-no-such-package==0.0.0\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pip-audit skipped: ")


def test_the_real_pip_audit_on_a_broken_file_fails(tmp_path):
    done = _gate(tmp_path, "not a requirement ===\n")
    assert done.returncode == 1
    assert "pip-audit failed without a report (exit 1): requirement file" in done.stderr
    assert "contains invalid specifier at line 1" in done.stderr and done.stdout == ""
