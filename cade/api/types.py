"""The API's types: what each endpoint reads (query and body) and returns, one pydantic model each.

These same classes validate the requests, write the responses and, through
pydantic's JSON Schema, make the OpenAPI document (cade/api/openapi.py): a
field changed here changes all three. Amounts are exact decimal strings with
their ISO 4217 currency; datetimes are ISO 8601 in UTC.
"""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cade.applications.constants import ApplicationStatus
from cade.awards.constants import DecisionOutcome
from cade.reports.constants import Dimension

MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL: 32 bits); a larger one names no row
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]


class Query(BaseModel):
    """A query string: only the parameters declared are accepted (others are a 400 naming them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ListQuery(Query):
    cursor: str | None = Field(None, description="The `next_cursor` of the previous page; absent for the first.")
    limit: int = Field(20, ge=1, le=100, description="How many items a page holds.")


class ApplicationQuery(ListQuery):
    status: ApplicationStatus | None = Field(None, description="Only applications in this status.")
    call: Id | None = Field(None, description="Only applications to this call (its id).")


class FundingSummaryFilters(Query):
    """The filters of a funding summary, as a query string or as the JSON body of a report run."""

    group_by: list[Dimension] = Field(
        default_factory=list,
        description="Breakdowns to compute (repeat the parameter, or separate with commas); all when absent.")
    programme: list[Id] = Field(default_factory=list, description="Only these programmes (ids).")
    call: list[Id] = Field(default_factory=list, description="Only these calls (ids).")
    date_from: date | None = Field(None, alias="from", description="Applications submitted on or after this day.")
    date_to: date | None = Field(None, alias="to", description="Applications submitted on or before this day.")
    currency: Currency | None = Field(None, description="The reporting currency; the site's default when absent.")


class Money(BaseModel):
    amount: str = Field(pattern=r"^-?\d+(\.\d+)?$", description="Exact, in major units.", examples=["5000.00"])
    currency: Currency


class ProgrammeRef(BaseModel):
    id: int
    name: str
    kind: str


class CallRef(BaseModel):
    id: int
    title: str


class OrganisationRef(BaseModel):
    id: int
    name: str


class CallOut(BaseModel):
    """A published call for applications."""

    id: int
    title: str
    description: str | None
    programme: ProgrammeRef
    currency: Currency
    opens_at: datetime
    closes_at: datetime
    timezone: str = Field(description="The call's IANA time zone: its deadline is read in it.")
    min_award: Money
    max_award: Money
    budget_envelope: Money
    languages: list[str] = Field(description="The languages the call can be read in, its own first.")
    url: str = Field(description="The call's page.")


class CallPage(BaseModel):
    items: list[CallOut]
    next_cursor: str | None


class DecisionOut(BaseModel):
    """The decision on an application, once released to the applicant."""

    outcome: DecisionOutcome
    amount: Money | None
    released_at: datetime


class ApplicationOut(BaseModel):
    """An application of one of the token holder's organisations."""

    id: int
    reference: str | None = Field(description="Given at submission.")
    status: ApplicationStatus
    title: str
    summary: str
    call: CallRef
    organisation: OrganisationRef
    requested_amount: Money | None
    submitted_at: datetime | None
    decision: DecisionOut | None


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None


class Figures(BaseModel):
    """Counts, and amounts in minor units of the reporting currency (or, per currency, of that currency)."""

    model_config = ConfigDict(extra="allow")

    applications: int
    awards: int
    requested: int
    awarded: int


class CurrencyFigures(Figures):
    currency: Currency


class GroupFigures(BaseModel):
    by_currency: list[CurrencyFigures]
    converted: Figures


class Group(GroupFigures):
    key: str


class RateUsed(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_currency: Currency = Field(alias="from")
    to: Currency
    rate: str
    inverted: bool
    date: date
    source: str | None


class FundingSummary(BaseModel):
    """The funding summary's figures, as the report page shows them. Amounts are integers in minor units."""

    kind: str
    params: dict[str, Any]
    currency: Currency
    rate_date: date
    rates: list[RateUsed]
    total: GroupFigures
    breakdowns: dict[str, list[Group]]
    targets: list[dict[str, Any]]
    reviews: Any = None
    training: Any = None
    indicators: Any = None
    travel: Any = None


class ReportFile(BaseModel):
    format: str
    name: str
    content_type: str
    size: int
    url: str = Field(description="Its download page, for a signed-in administrator.")


class ReportRunOut(BaseModel):
    id: int
    status: str = Field(description="queued, running, succeeded or failed.")
    progress: int = Field(ge=0, le=100)
    params: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    files_expired: bool
    files: list[ReportFile]
    url: str = Field(description="The run's page on the site.")


class Problem(BaseModel):
    """RFC 9457 problem details: every error the API answers."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    field: str | None = None
    errors: dict[str, list[str]] | None = Field(None, description="Field errors: each named field, its messages.")
