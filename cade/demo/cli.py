"""The `seed-demo` command: fill the database with demo data and print the demo logins."""

import click
from flask import Flask
from flask.cli import with_appcontext

from cade.demo.seed import demo_logins, seed_demo
from cade.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create realistic demo data; safe to run again (only what is missing is added)."""
    report = seed_demo()
    db.session.commit()
    if report.anything_created:
        made = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in report.created.items() if count)
        click.echo(f"Demo data created: {made}.")
    else:
        click.echo("Demo data already present; nothing to add.")
    print_logins()


def print_logins() -> None:
    """Print the demo logins (used by `make run` too, which needs no database for it)."""
    click.echo(_logins_table(demo_logins()))


def _logins_table(rows: list[tuple[str, str, str]]) -> str:
    headers = ("E-mail", "Who", "Password")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
    rule = "-+-".join("-" * w for w in widths)
    lines = ["", "Demo logins:", rule]
    for row in [headers, None, *rows]:
        if row is None:
            lines.append(rule)
            continue
        lines.append(" | ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())
    lines.append(rule)
    return "\n".join(lines)


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
