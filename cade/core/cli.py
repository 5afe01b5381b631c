"""Commands for what every domain shares: `states-doc` writes docs/states.md; `send-reminders` runs every
reminder sweep now."""

from pathlib import Path

import click
from flask import Flask, current_app


def states_doc_path() -> Path:
    """docs/states.md of this checkout."""
    return Path(current_app.root_path).parent / "docs" / "states.md"


def register(app: Flask) -> None:
    @app.cli.command("states-doc")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Where to write it (default: docs/states.md).")
    @click.option("--check", is_flag=True, help="Write nothing; fail when the file differs from the code.")
    def states_doc(out: Path | None, check: bool):
        """Write every aggregate's table of states (docs/states.md) from the state machines in the code."""
        from cade.core.states import describe_machines

        out = out or states_doc_path()
        text = describe_machines()
        if check:
            if not out.is_file() or out.read_text(encoding="utf-8") != text:
                raise click.ClickException(f"{out} is stale: run `flask --app wsgi states-doc`.")
            click.echo(f"{out} is up to date.")
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}.")

    @app.cli.command("send-reminders")
    def send_reminders():
        """Queue every reminder due now: calls closing, reviews, offers, training, grantee reports (safe to repeat)."""
        from cade.core.reminders import run_sweeps
        from cade.extensions import db

        counts = run_sweeps()
        db.session.commit()
        for name, count in counts.items():
            click.echo(f"  {name}: {count}")
        click.echo(f"Queued {sum(counts.values())} reminder(s).")
