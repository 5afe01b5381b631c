"""The request id: taken from a sane X-Request-ID or made, kept for the request, and carried into Celery tasks.

One id follows a person's action through every process it touches: the
gunicorn access log (it logs the response header), each log line of the
request, and each log line of every task the request enqueued, however it was
sent (`send_task` by name, as the outbox does, or `.delay()`). The id travels
in the task message's headers; the worker sets it for the task's run and
clears it afterwards, so a worker's next task does not inherit it.
"""

import re
import uuid
from contextvars import ContextVar

import sentry_sdk
from celery import signals
from flask import Flask, g, request

HEADER = "X-Request-ID"
# The name the id has in a Celery message's headers (and so on the worker's task.request).
TASK_HEADER = "cade_request_id"
# An id from a proxy or a client is kept only if it cannot break a log line or flood it.
SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_id_var: ContextVar[str | None] = ContextVar("cade_request_id", default=None)
# The token each running task's id was set with, by task id, to restore what was there before.
_task_tokens: dict[str, object] = {}


def current_request_id() -> str | None:
    return request_id_var.get()


def incoming_or_new_id(value: str | None) -> str:
    """The caller's id when it looks like one, else a new uuid4 hex."""
    if value and SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    # First of all hooks: every log line of the request, including those of other hooks, carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_echo_id)
    app.teardown_request(_end_request)
    _connect_task_signals()


def _start_request() -> None:
    g.request_id = incoming_or_new_id(request.headers.get(HEADER))
    g._request_id_token = request_id_var.set(g.request_id)
    _tag_error_reports(g.request_id)


def _tag_error_reports(request_id: str | None) -> None:
    # An error report names the id its log lines carry. Sentry's integrations give each request and task
    # a scope of its own; without a client there is no such scope, and nothing to tag.
    if request_id and sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag("request_id", request_id)


def _echo_id(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _end_request(error=None) -> None:
    token = g.pop("_request_id_token", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # torn down in another context than it started in
            request_id_var.set(None)


def _connect_task_signals() -> None:
    # Connected once per process with a dispatch_uid, however many apps are made.
    signals.before_task_publish.connect(_put_id_in_message, weak=False, dispatch_uid="cade.request_id.publish")
    signals.task_prerun.connect(_take_id_from_message, weak=False, dispatch_uid="cade.request_id.prerun")
    signals.task_postrun.connect(_forget_id, weak=False, dispatch_uid="cade.request_id.postrun")


def _put_id_in_message(sender=None, headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _take_id_from_message(sender=None, task_id=None, task=None, **kwargs) -> None:
    carried = task.request.get(TASK_HEADER) if task is not None else None
    # An eager task (run in the caller's process) has no message: it keeps the caller's id.
    request_id = carried if carried and SANE_ID.fullmatch(str(carried)) else request_id_var.get()
    if task_id:
        _task_tokens[task_id] = request_id_var.set(request_id)
    _tag_error_reports(request_id)


def _forget_id(sender=None, task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is None:
        return
    try:
        request_id_var.reset(token)
    except ValueError:
        request_id_var.set(None)
