"""Account commands: `flask --app wsgi create-admin EMAIL`."""

import click
from flask import Flask
from flask_babel import force_locale

from cade.accounts import services
from cade.core.errors import ValidationFailed
from cade.extensions import db

MESSAGES = {
    "created": "Created the account {email} as an administrator (verified).",
    "promoted": "Gave {email} the administrator role.",
    "verified": "Marked {email} as verified.",
    "password_set": "Set a new password for {email}; its other sessions are signed out.",
}


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", help="The password (prompted for, hidden, when creating an account without it).")
    @click.option("--name", help="The person's name for a new account (default: the part before the @).")
    def create_admin_command(email: str, password: str | None, name: str | None) -> None:
        """Create an administrator, or promote and verify an existing account."""
        # Commands speak English; no request is there to choose a language.
        with force_locale("en"):
            try:
                # The address is refused before the password prompt, so no one types a password for nothing.
                services.AdminInput.from_input({"email": email})
                if password is None and services.get_user_by_email(email) is None:
                    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
                command = services.AdminInput.from_input({"email": email, "password": password, "name": name})
                user, done = services.create_admin(command)
            except ValidationFailed as exc:
                db.session.rollback()
                messages = [str(m) for field_errors in exc.errors.values() for m in field_errors]
                raise click.ClickException(" ".join(messages)) from exc
        db.session.commit()
        if not done:
            click.echo(f"{user.email} is already a verified administrator; nothing changed.")
        for step in done:
            click.echo(MESSAGES[step].format(email=user.email))
