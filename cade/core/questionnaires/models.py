"""A questionnaire and its ordered questions; the owner (a call, later a report template…) points at it."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from cade.core.translations import Translatable
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
    # The language its questions' own columns are written in (its owner's: a call's `language`);
    # the other languages are in each question's `translations` (cade/core/translations.py).
    language: Mapped[str] = mapped_column(String(8), default="en")

    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(Translatable, db.Model):
    __tablename__ = "questions"
    translatable_fields = ("label", "help_text")

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
    def text_language(self) -> str:
        return self.questionnaire.language

    @property
    def field_name(self) -> str:
        """The name of this question's field in forms and in a service's errors."""
        return f"q_{self.id}"


class AnswerColumns:
    """The columns of one answer to one question, whatever holds it (an application, a grantee report, a post-trip
    report): the kind of the question says which one is filled (cade/core/questionnaires/kinds.py store_answers)."""

    @declared_attr
    def question_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))

    @declared_attr
    def question(cls) -> Mapped[Question]:
        return relationship(Question)

    text: Mapped[str | None] = mapped_column(Text)
    number: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    date_value: Mapped[date | None]
