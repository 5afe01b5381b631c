"""The states of a question asked about a call, the kinds of notice, and the bounds on what people type."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class EnquiryStatus(StrEnum):
    """A question waits for staff, then is answered on the call page or set aside (and then says why)."""

    PENDING = "pending"
    PUBLISHED = "published"
    DUPLICATE = "duplicate"  # set aside: an answer already published covers it
    OUT_OF_SCOPE = "out_of_scope"  # set aside: not about the call's rules, or not for a public answer


DISMISSED = (EnquiryStatus.DUPLICATE, EnquiryStatus.OUT_OF_SCOPE)

ENQUIRY_STATUS_LABELS = {
    EnquiryStatus.PENDING: _l("Waiting for an answer"),
    EnquiryStatus.PUBLISHED: _l("Answered on the call page"),
    EnquiryStatus.DUPLICATE: _l("Not published: an answer already published covers it"),
    EnquiryStatus.OUT_OF_SCOPE: _l("Not published: outside what the call's answers cover"),
}

DISMISS_REASON_LABELS = {
    EnquiryStatus.DUPLICATE: _l("Duplicate of a published answer"),
    EnquiryStatus.OUT_OF_SCOPE: _l("Out of scope"),
}


class NoticeKind(StrEnum):
    CORRIGENDUM = "corrigendum"
    EXTENSION = "extension"


NOTICE_KIND_LABELS = {
    NoticeKind.CORRIGENDUM: _l("Corrigendum"),
    NoticeKind.EXTENSION: _l("Deadline extension"),
}

# A question is a paragraph or two; an answer or a notice may quote the rules at length.
QUESTION_MAX_CHARS = 4000
ANSWER_MAX_CHARS = 20_000
NOTICE_MAX_CHARS = 20_000
# Questions one person may have waiting on one call: enough for anyone, too few to flood the staff.
MAX_PENDING_PER_ASKER = 10
