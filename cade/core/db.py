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


def insert_rows(table, rows: list[dict], fixed: dict | None = None, *, returning=(), skip_duplicates_of=(),
                connection=None):
    """INSERT `rows` (dicts with the same keys) into `table`, with `fixed` in every row, in one statement
    whatever their number; return the `returning` columns of the rows made. With `skip_duplicates_of` (a unique
    constraint's columns) a row already there is skipped.

    On PostgreSQL the rows travel as one JSON document read by json_to_recordset(): a VALUES list of thousands
    of rows costs the driver more to parse than the database to run (1.5-2 s against 0.2-0.35 s for 10,000
    notifications). A JSON column's None becomes SQL NULL there (JSON null elsewhere); both read back as None.
    On SQLite one multi-row INSERT. `connection` writes in another transaction than the session's.
    """
    from sqlalchemy import JSON, bindparam, column, func, literal, select
    from sqlalchemy.dialects import postgresql, sqlite

    from cade.extensions import db

    if not rows:
        return []
    fixed, names = fixed or {}, list(rows[0])
    executor = connection if connection is not None else db.session
    bind = connection if connection is not None else db.session.get_bind()
    if bind.dialect.name == "postgresql":
        record = func.json_to_recordset(bindparam("rows", rows, type_=JSON)).table_valued(
            *(column(name, table.c[name].type) for name in names)).render_derived(with_types=True)
        source = select(*(record.c[name] for name in names),
                        *(literal(value, type_=table.c[name].type) for name, value in fixed.items()))
        statement, parameters = postgresql.insert(table).from_select([*names, *fixed], source), None
    else:
        statement, parameters = sqlite.insert(table), [dict(fixed, **row) for row in rows]
    if skip_duplicates_of:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_duplicates_of))
    if returning:
        return executor.execute(statement.returning(*(table.c[name] for name in returning)), parameters).all()
    executor.execute(statement, parameters)
    return []


def upsert_row(table, values: dict, key: tuple[str, ...]) -> None:
    """INSERT `values` into `table`, or, where a row with the same `key` columns exists, UPDATE it with the rest:
    one statement in the session's transaction. Two transactions writing the same new row at once do not clash:
    the later waits for the earlier and updates its row."""
    from sqlalchemy.dialects import postgresql, sqlite

    from cade.extensions import db

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in values if name not in key}))

