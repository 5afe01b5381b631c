"""The declarative base, its naming convention and the column types we share."""

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names on SQLite and PostgreSQL alike, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """Now, as the timezone-aware UTC datetime every `*_at` column holds."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


def lock_row(model, object_id: int) -> None:
    """Hold `model`'s row `object_id` until the transaction ends, so a read-check-write is not raced.

    PostgreSQL takes a row lock (SELECT … FOR UPDATE). SQLite ignores FOR
    UPDATE and, with the default driver, reads outside a transaction; an
    UPDATE that changes nothing starts the write transaction there and
    takes the database's write lock, so a second writer waits until this
    transaction ends and then reads what it wrote.
    """
    from sqlalchemy import select, update

    from cade.extensions import db

    table = model.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        # Every column keeps its value, those with an onupdate default (updated_at) included.
        unchanged = {column.name: column for column in table.c if column.primary_key or column.onupdate is not None}
        db.session.execute(update(table).where(table.c.id == object_id).values(**unchanged))
    else:
        db.session.execute(select(model.id).where(model.id == object_id).with_for_update())


def get_or_raise(model, object_id: int):
    """The row of `model` with this id, or NotFound (a service's lookup; a view turns it into a 404)."""
    from cade.core.errors import NotFound
    from cade.extensions import db

    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound()
    return obj
