"""`make audit-deps`: the pinned requirements checked by pip-audit against PyPI's advisory feed, and its answer read.

    python -m tests.pip_audit_gate requirements.txt requirements-dev.txt

pip-audit asks the feed about each pinned version
(https://pypi.org/pypi/<name>/<version>/json). Its JSON report is read as
one of three answers:

- every requirement was checked and none has a known vulnerability: pass;
- a known vulnerability, or some requirements checked and others not: fail,
  naming them;
- the feed was not reached (no network, no DNS, a time-out, an error from
  PyPI), or was reached but knows none of the pinned versions, which is what
  a mirror serving package pages but not version pages answers, as on the
  machines this project is built on: "pip-audit skipped: <why>", and pass,
  since nothing was checked and nothing is known.

pip-audit's own --strict stops at the first requirement it cannot check,
without a report, so it cannot tell one missing package from a feed that
answers for none; the gate runs it without --strict and applies the same
rule itself, to the whole report. Every requirement is pinned with == and
its dependencies are listed beside it (tests/test_ci_plumbing.py), so
pip-audit reads the files as they are (--no-deps --disable-pip) instead of
installing them into a throwaway environment to resolve them.
"""

import json
import subprocess
import sys
from dataclasses import dataclass

NOT_FOUND = "Dependency not found on PyPI"
# What pip-audit writes on stderr when it could not ask the feed at all.
UNREACHABLE = (
    "Tip: your network may be blocking this service",  # its own connection error (time-out, redirects)
    "requests.exceptions.ConnectionError",  # DNS or refused connection: an uncaught traceback
    "requests.exceptions.Timeout",
    "requests.exceptions.ReadTimeout",
    "requests.exceptions.ConnectTimeout",
    "NameResolutionError",
    "pip_audit._service.interface.ServiceError",  # the feed answered with an error (5xx)
)
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


def command(requirement_files: list[str]) -> list[str]:
    files = [arg for path in requirement_files for arg in ("-r", path)]
    return [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--format", "json",
            "--progress-spinner", "off", *files]


def decide(returncode: int, stdout: str, stderr: str) -> Verdict:
    """What pip-audit's exit status, JSON report (stdout) and log (stderr) mean for the build."""
    report = _report(stdout)
    if report is None:
        if any(sign in stderr for sign in UNREACHABLE):
            return _skipped(f"the advisory feed could not be reached ({_last_line(stderr)})")
        return Verdict(False, f"pip-audit failed without a report (exit {returncode}): {_last_line(stderr)}")
    dependencies = report.get("dependencies") or []
    unchecked = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [f"{d['name']} {d.get('version', '')}: {_vulnerabilities(d['vulns'])}" for d in vulnerable]
        lines += [f"{d['name']}: not checked ({d['skip_reason']})" for d in unchecked]
        count = sum(len(d["vulns"]) for d in vulnerable)
        return Verdict(False, f"pip-audit found {count} known vulnerabilit{'y' if count == 1 else 'ies'}:\n  "
                       + "\n  ".join(lines))
    if not dependencies:
        return Verdict(False, "pip-audit found no requirement to check: are the files right?")
    if len(unchecked) == len(dependencies) and all(NOT_FOUND in d["skip_reason"] for d in unchecked):
        return _skipped(f"the advisory feed knows none of the {len(dependencies)} pinned versions "
                        f"(\"{unchecked[0]['skip_reason']}\"): it is a mirror without advisories, or not PyPI")
    if unchecked:
        names = ", ".join(f"{d['name']} ({d['skip_reason']})" for d in unchecked)
        return Verdict(False, f"pip-audit could not check {len(unchecked)} of {len(dependencies)} requirements, "
                       f"though it checked the others: {names}")
    if returncode != 0:
        return Verdict(False, f"pip-audit exited with {returncode} and no vulnerability: {_last_line(stderr)}")
    return Verdict(True, f"pip-audit: {len(dependencies)} pinned requirements checked, no known vulnerability.")


def _report(stdout: str) -> dict | None:
    try:
        report = json.loads(stdout)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def _vulnerabilities(vulns: list[dict]) -> str:
    def one(vuln):
        also = f" ({', '.join(sorted(vuln['aliases']))})" if vuln.get("aliases") else ""
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
        return f"{vuln['id']}{also}, fixed in {fixed}"
    return "; ".join(one(vuln) for vuln in vulns)


def _skipped(reason: str) -> Verdict:
    return Verdict(True, f"pip-audit skipped: {reason}")


def _last_line(text: str) -> str:
    """What went wrong, from pip-audit's log: its ERROR lines, else a traceback's last error, else the last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:pip_audit._cli:") for line in lines if line.startswith("ERROR:")]
    tracebacks = [line for line in lines if "Error" in line or "Exception" in line]
    said = " ".join(errors) or (tracebacks or lines or ["no message"])[-1]
    return said[:300]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.pip_audit_gate REQUIREMENTS_FILE...", file=sys.stderr)
        return 2
    try:
        done = subprocess.run(command(argv), capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        verdict = _skipped(f"the advisory feed did not answer within {TIMEOUT_SECONDS} seconds")
    else:
        verdict = decide(done.returncode, done.stdout, done.stderr)
    print(verdict.message, file=sys.stdout if verdict.passed else sys.stderr)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
