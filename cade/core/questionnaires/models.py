"""A questionnaire and its ordered questions; the owner (a call, later a report template…) points at it."""

from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.extensions import db


class QuestionnairePurpose(StrEnum):
    """What a questionnaire is for, so that a stray row can be traced to the kind of owner holding it."""

    CALL_APPLICATION = "call_application"
    GRANT_REPORT = "grant_report"  # a call's report template (cade/grants: ReportTemplate.questionnaire_id)
    TRAVEL_POST_TRIP = "travel_post_trip"  # a travel call's post-trip report (cade/travel: TravelSettings)


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))

    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str | None] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(default=True)
    word_limit: Mapped[int | None]
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")

    @property
    def field_name(self) -> str:
        """The name of this question's field in forms and in a service's errors."""
        return f"q_{self.id}"
