"""Commands for applications: `flask --app wsgi send-reminders`."""

import click
from flask import Flask

from cade.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("send-reminders")
    def send_reminders():
        """Queue call-closing reminders for drafts (safe to run as often as you like)."""
        from cade.applications.services import queue_call_closing_reminders

        count = queue_call_closing_reminders()
        db.session.commit()
        click.echo(f"Queued {count} reminder(s).")
