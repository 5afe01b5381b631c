"""Every version of a grant's agreement PDF: stored once each, the grant pointing at the newest, all kept readable.

Version 1 is the agreement made when the grant opens; each approved amendment
adds the next one (cade/grants/amendments.py). `Grant.agreement_*` always
name the newest, so the grant page's one download link keeps working; the
earlier ones stay at `/grants/<id>/agreement/v<n>`.
"""

import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.after_commit import on_rollback
from cade.core.errors import NotFound, StorageUnavailable
from cade.core.storage import get_storage
from cade.extensions import db
from cade.grants.models import AgreementVersion, Grant


def store_pdf(pdf: bytes):
    """Store the PDF under a new name; the file is deleted again if the transaction rolls back.

    Raises StorageUnavailable, saying that the acceptance or approval that needs the agreement was not
    recorded, when the storage cannot take it now.
    """
    storage = get_storage()
    try:
        stored = storage.put(io.BytesIO(pdf))
    except StorageUnavailable as error:
        raise StorageUnavailable(_l("The grant agreement could not be stored just now, so nothing was changed. "
                                    "Please try again in a few minutes."), reason=error.reason) from error
    on_rollback(lambda: storage.delete(stored.name))
    return stored


def next_number(grant_id: int) -> int:
    """The number the grant's next agreement version gets."""
    return (db.session.scalar(select(func.max(AgreementVersion.version))
                              .where(AgreementVersion.grant_id == grant_id)) or 0) + 1


def record_version(grant: Grant, stored, language: str, amendment_id: int | None = None) -> AgreementVersion:
    """Add the grant's next agreement version for a stored PDF and point the grant at it. Flushes.

    The caller holds the grant's row lock when versions may be added at once (approvals do), so the next
    number is not taken twice; the unique (grant, version) key refuses it if it were.
    """
    version = AgreementVersion(grant_id=grant.id, version=next_number(grant.id), amendment_id=amendment_id, stored_name=stored.name,
                               size=stored.size, sha256=stored.sha256, language=language)
    db.session.add(version)
    grant.agreement_stored_name, grant.agreement_size = stored.name, stored.size
    grant.agreement_sha256, grant.agreement_language = stored.sha256, language
    db.session.flush()
    return version


def versions_of(grant: Grant) -> list[AgreementVersion]:
    """The grant's agreement versions, newest first."""
    return list(db.session.scalars(select(AgreementVersion).where(AgreementVersion.grant_id == grant.id)
                                   .order_by(AgreementVersion.version.desc())))


def open_version(grant: Grant, number: int):
    """(the version, its PDF as a binary stream the caller closes). Raises NotFound (no such version, or file gone)."""
    version = db.session.scalar(select(AgreementVersion).where(AgreementVersion.grant_id == grant.id,
                                                               AgreementVersion.version == number))
    if version is None:
        raise NotFound()
    try:
        return version, get_storage().open(version.stored_name)
    except FileNotFoundError:
        raise NotFound() from None
