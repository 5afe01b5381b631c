"""Opaque, signed cursors for keyset pagination: a cursor holds the last row's id and the list it belongs to.

A cursor is signed (itsdangerous, the app's SECRET_KEY, salt "api-cursor"), so a client can neither forge a
position nor carry a cursor of one list over to another: either is a 400 naming `cursor`. Lists are read by
keyset (`WHERE id > :last ORDER BY id LIMIT n + 1`), so every page costs the same whatever its position.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from cade.api.problems import bad_request

SALT = "api-cursor"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def encode_cursor(list_name: str, last_id: int) -> str:
    return _serializer().dumps([list_name, last_id])


def decode_cursor(list_name: str, cursor: str | None) -> int:
    """The last id a cursor of `list_name` stands for (0: from the start); BadRequest naming `cursor` otherwise."""
    if not cursor:
        return 0
    try:
        name, last_id = _serializer().loads(cursor)
    except (BadSignature, TypeError, ValueError):
        raise bad_request({"cursor": [_l("This cursor is not valid: start again without it.")]}) from None
    if name != list_name or not isinstance(last_id, int) or isinstance(last_id, bool) or last_id < 0:
        raise bad_request({"cursor": [_l("This cursor belongs to another list: start again without it.")]})
    return last_id


def page_of(list_name: str, rows: list, limit: int, key=lambda row: row.id) -> tuple[list, str | None]:
    """The first `limit` of `rows` (read with LIMIT limit + 1) and the cursor to the next page, if any."""
    if len(rows) <= limit:
        return rows, None
    shown = rows[:limit]
    return shown, encode_cursor(list_name, key(shown[-1]))
