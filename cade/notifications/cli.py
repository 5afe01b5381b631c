"""`flask send-test-email`: check the mail set-up end to end."""

import secrets

import click
from flask import Flask

from cade.extensions import db
from cade.notifications.services import notify


def register(app: Flask) -> None:
    @app.cli.command("send-test-email")
    @click.argument("email")
    def send_test_email(email: str) -> None:
        """Queue the test message to EMAIL; a worker sends it (or writes it to the mailbox folder)."""
        notify("notifications.test_message", email=email, key=f"test-email:{secrets.token_hex(8)}", in_app=False)
        db.session.commit()
        click.echo(f"Queued a test message to {email}.")
