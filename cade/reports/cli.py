"""`flask --app wsgi compile-report funding-summary --format xlsx --out FILE`: a report without a worker."""

import os
import sys
import tempfile
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale

from cade.core.errors import DomainError, ValidationFailed
from cade.reports.constants import FUNDING_SUMMARY
from cade.reports.services.runs import FORMATS, writers
from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.tables import summary_tables


def _errors(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        names = {"programme_ids": "--programme", "call_ids": "--call", "date_from": "--from", "date_to": "--to",
                 "currency": "--currency"}
        return "; ".join(f"{names.get(name, name)}: {' '.join(str(m) for m in messages)}"
                         for name, messages in exc.errors.items())
    return str(exc.message)


def register(app: Flask) -> None:
    from cade.reports.open_data import cli as open_data_cli

    open_data_cli.register(app)  # `flask regenerate-open-data`
    @app.cli.command("compile-report")
    @click.argument("report", type=click.Choice([FUNDING_SUMMARY]))
    @click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True, help="The file's format.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Where to write it (replaced only once the report is complete).")
    @click.option("--programme", "programmes", multiple=True, help="A programme's id (repeat for several).")
    @click.option("--call", "calls", multiple=True, help="A call's id (repeat for several).")
    @click.option("--from", "date_from", help="Submitted on or after this day (YYYY-MM-DD).")
    @click.option("--to", "date_to", help="Submitted on or before this day (YYYY-MM-DD); rates of this day.")
    @click.option("--currency", help="The reporting currency (default: REPORT_CURRENCY).")
    @click.option("--locale", default="en", type=click.Choice(["en", "fr", "es", "pt"]), help="The report's language.")
    def compile_report_command(report, fmt, out, programmes, calls, date_from, date_to, currency, locale):
        """Compile a report into one file, here and now (the web page hands it to a worker instead)."""
        with force_locale(locale), click.progressbar(length=3, label="Compiling", file=sys.stderr) as bar:
            try:
                command = FundingSummaryInput.from_input({
                    "programme_ids": list(programmes), "call_ids": list(calls), "date_from": date_from,
                    "date_to": date_to, "currency": currency or current_app.config["REPORT_CURRENCY"]})
                summary = funding_summary(command)
                bar.update(1)
                tables = summary_tables(summary)
                bar.update(1)
                _write(out, lambda stream: writers(summary, tables)[fmt](stream))
                bar.update(1)
            except DomainError as exc:
                raise click.ClickException(_errors(exc)) from exc
        click.echo(f"Wrote {out} ({out.stat().st_size} bytes).")


def _write(out: Path, writer) -> None:
    """Write through a temporary file beside `out`, so a failure never leaves half a report behind."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            writer(stream)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
