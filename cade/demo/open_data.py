"""The demo's open data (issue 15): both files written from what the demo released, through the real service.

The demo's organisations already vary in publishing consent (cade/demo/data.py), so the files show named and
anonymised recipients side by side. The releases the seed makes through `release_decisions` rewrite the files
once the lead registers the release hook; the older demo decisions are written released directly, so the seed
writes the files last. A second run finds nothing changed and rewrites nothing (the ETags stay).
"""

from sqlalchemy import select

from cade.extensions import db
from cade.reports.models import OpenDataDocument
from cade.reports.open_data.documents import regenerate_documents


def seed_open_data(seeder, calls, organisations) -> None:
    """Write both open-data documents from the demo's released awards (flushes, never commits)."""
    before = {document.kind: document.etag for document in db.session.scalars(select(OpenDataDocument))}
    for document in regenerate_documents(now=seeder.now):
        if before.get(document.kind) != document.etag:
            seeder.report.created[f"open data: {document.kind}"] += 1

