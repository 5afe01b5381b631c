"""The published open-data documents: generated from the released awards, kept, and served as kept.

Each kind ("360giving", "iati") is one `OpenDataDocument` row holding the
file's bytes and its ETag (the sha256 of the bytes, quoted: `etag_of`). The API serves
the row as it is (`current_document`), so a reader's conditional request is
answered from one row. The rows are rewritten when decisions are released
(`on_decisions_released`, in the releasing transaction, registered on
awards' `release_hooks` from cade/wiring.py), when an offer is accepted
(`on_offer_accepted`, on `acceptance_hooks`), and by `regenerate_documents`
(`flask regenerate-open-data`), and when an organisation's consent, its
at-risk mark or its name changes (`on_organisation_changed`, on
organisations' `profile_change_hooks`): an organisation that marks itself at
risk is anonymised in the files in the very transaction that marks it. A
declined or lapsed offer, a tranche paid or a report approved reach the files
at the next of these, as no hook tells us of them yet. A document whose content did not change keeps its bytes,
ETag and generation time, so readers' caches stay valid.

Two releases at once: the rows are locked (FOR UPDATE) before the awards are
read, so the second transaction waits and then reads what the first one
committed: the last writer writes every award, not a stale selection.
"""

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cade.awards.constants import DecisionOutcome
from cade.core.db import utcnow
from cade.core.errors import NotFound
from cade.extensions import db
from cade.reports.models import OpenDataDocument
from cade.reports.open_data import iati, threesixty
from cade.reports.open_data.publication import PublishedAward, publish
from cade.reports.open_data.selection import published_awards

KINDS = ("360giving", "iati")
CONTENT_TYPES = {"360giving": "application/json", "iati": "application/xml"}


def etag_of(content: bytes) -> str:
    """The strong ETag of `content`, quoted as sent: its sha256 in hex, cut to the 62 digits (248 bits) that fit,
    with the quotes, in the 64 characters the column holds."""
    return f'"{hashlib.sha256(content).hexdigest()[:62]}"'


def _awards() -> list[PublishedAward]:
    return [publish(record) for record in published_awards()]


def _render(kind: str, awards: list[PublishedAward], generated_at: datetime) -> bytes:
    if kind == "360giving":
        return threesixty.render(awards)
    return iati.render(awards, generated_at, current_app.config.get("OPEN_DATA_FUNDER_TYPE") or iati.FUNDER_TYPE)


def _write(document: OpenDataDocument, awards: list[PublishedAward], now: datetime) -> OpenDataDocument:
    """Rewrite `document` unless its content would not change (the IATI file's date aside)."""
    if _render(document.kind, awards, document.generated_at) == document.content:
        return document
    _fill(document, _render(document.kind, awards, now), len(awards), now)
    return document


def _fill(document: OpenDataDocument, content: bytes, count: int, now: datetime) -> None:
    document.content, document.etag, document.content_type = content, etag_of(content), CONTENT_TYPES[document.kind]
    document.generated_at, document.grants_count = now, count


def _created(kind: str, awards: list[PublishedAward], now: datetime) -> OpenDataDocument | None:
    """A new row of `kind`; None when another transaction created it first (a savepoint keeps ours intact)."""
    document = OpenDataDocument(kind=kind)
    _fill(document, _render(kind, awards, now), len(awards), now)
    try:
        with db.session.begin_nested():
            db.session.add(document)
    except IntegrityError:
        return None
    return document


def _locked(kinds) -> dict[str, OpenDataDocument]:
    """The existing rows of `kinds`, locked in a fixed order until the transaction ends."""
    statement = (select(OpenDataDocument).where(OpenDataDocument.kind.in_(kinds)).order_by(OpenDataDocument.kind)
                 .with_for_update().execution_options(populate_existing=True))
    return {document.kind: document for document in db.session.scalars(statement)}


def regenerate_documents(now=None) -> list[OpenDataDocument]:
    """Both documents, written from the released awards now (flushes). Returns them in KINDS order."""
    now = now or utcnow()
    documents = _locked(KINDS)
    awards = _awards()
    found = []
    for kind in KINDS:
        document = documents.get(kind) or _created(kind, awards, now)
        if document is None:  # created meanwhile by another transaction: wait for it, then write ours
            document = _locked([kind])[kind]
        found.append(_write(document, awards, now))
    db.session.flush()
    return found


def current_document(kind: str) -> OpenDataDocument:
    """The published document of `kind`, generating and storing it (flush) when none exists yet.

    Raises NotFound for an unknown kind.
    """
    if kind not in KINDS:
        raise NotFound()
    statement = select(OpenDataDocument).where(OpenDataDocument.kind == kind)
    document = db.session.scalar(statement)
    if document is None:
        document = _created(kind, _awards(), utcnow()) or db.session.scalar(statement)
        db.session.flush()
    return document


def on_decisions_released(decisions) -> None:
    """Awards' release hook: rewrite both documents once some award was released (waitlists and rejections
    change nothing published)."""
    if any(decision.outcome == DecisionOutcome.AWARD for decision in decisions):
        regenerate_documents()


def published_summaries() -> dict[str, dict]:
    """{kind: {"generated_at", "grants_count", "size"}} of the documents kept so far, without their bytes."""
    rows = db.session.execute(select(OpenDataDocument.kind, OpenDataDocument.generated_at,
                                     OpenDataDocument.grants_count,
                                     func.length(OpenDataDocument.content).label("size")))
    return {row.kind: {"generated_at": row.generated_at, "grants_count": row.grants_count, "size": row.size}
            for row in rows}


# What the files tell of an organisation (publication.py): a change to one of these may change them.
PUBLISHED_PROFILE_FIELDS = frozenset({"name", "publish_consent", "at_risk"})


def on_organisation_changed(organisation, changed: set[str]) -> None:
    """Organisations' profile hook: rewrite both documents when what they may tell of an organisation changed.

    Only an organisation with an award in the files changes them; for the others this reads the awards once
    and finds the documents unchanged (`_write` keeps their bytes and ETag).
    """
    if changed & PUBLISHED_PROFILE_FIELDS:
        regenerate_documents()


def on_offer_accepted(decision) -> None:
    """Awards' acceptance hook (after grants' own, which opens the grant): the IATI file gains the actual start."""
    regenerate_documents()
