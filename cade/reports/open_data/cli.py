"""`flask --app wsgi regenerate-open-data`: rewrite both open-data files now (after a consent or a payment changed
what they should say; releases rewrite them on their own)."""

import click
from flask import Flask

from cade.extensions import db
from cade.reports.open_data.documents import regenerate_documents


def register(app: Flask) -> None:
    @app.cli.command("regenerate-open-data")
    def regenerate_open_data_command():
        """Rewrite the 360Giving and IATI files from the released awards."""
        documents = regenerate_documents()
        db.session.commit()
        for document in documents:
            click.echo(f"{document.kind}: {document.grants_count} grants, ETag {document.etag}")
