"""The administrators' audit log: filters, what changed, the CSV download, and a log that is only ever added to."""

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from cade.core.audit import AuditEvent, audit_changes, record_events
from tests.factories import UserFactory
from tests.quality.conftest import assert_pages_are_light
from tests.querycount import count_statements

ROOT = Path(__file__).resolve().parents[2]


def _event(db, actor, verb, object_type="Application", object_id=1, before=None, after=None, at=None):
    row = AuditEvent(actor_id=getattr(actor, "id", None), verb=verb, object_type=object_type, object_id=object_id,
                     before=before, after=after, at=at or datetime.now(timezone.utc))
    db.session.add(row)
    db.session.commit()
    return row


def _shown_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="event-(\d+)"', html)]


# Who may see it

def test_only_administrators_find_the_log(db, client, login, admin):
    assert client.get("/admin/audit").status_code == 302  # a visitor is sent to sign in
    login(UserFactory(roles=["reviewer"]))
    assert client.get("/admin/audit").status_code == 404
    assert client.get("/admin/audit.csv").status_code == 404
    login(admin)
    assert client.get("/admin/audit").status_code == 200


# What a row shows

def test_a_row_shows_when_who_what_and_only_the_keys_that_changed(db, client, login, admin):
    author = UserFactory(name="Amina Odhiambo", email="amina@example.org")
    _event(db, author, "application.submitted", object_id=42,
           before={"status": "draft", "title": "Wells"}, after={"status": "submitted", "title": "Wells"})
    _event(db, None, "grant.closed", object_type="Grant", object_id=7)
    login(admin)

    html = client.get("/admin/audit").get_data(as_text=True)

    rows = re.findall(r'<tr id="event-\d+">(.*?)</tr>', html, re.S)
    closed, submitted = rows  # newest first
    assert "System" in closed and "Grant #7" in closed
    assert "Amina Odhiambo" in submitted and "amina@example.org" in submitted and "Application #42" in submitted
    assert "<code>status</code>: draft" in submitted and "submitted</li>" in submitted
    assert "title" not in submitted  # unchanged keys are left out


def test_values_are_escaped(db, client, login, admin):
    _event(db, admin, "organisation.renamed", before={"name": "Old"}, after={"name": "<script>alert(1)</script>"})
    login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_actor_is_read_from_the_users_table_so_a_pseudonym_shows_after_erasure(db, client, login, admin):
    person = UserFactory(name="Real Name", email="real@example.org")
    _event(db, person, "application.created")
    person.name, person.email = "Erased person 12", "erased-12@invalid"
    db.session.commit()
    login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Erased person 12" in html and "Real Name" not in html


def test_changes_list_added_removed_and_changed_keys():
    changes = audit_changes({"a": 1, "b": "x", "gone": True}, {"a": 2, "b": "x", "new": {"k": "v"}})
    assert [(c.key, c.before, c.after) for c in changes] == [
        ("a", "1", "2"), ("gone", "true", None), ("new", None, '{"k": "v"}')]
    assert [(c.key, c.before, c.after) for c in audit_changes(None, {"s": "open"})] == [("s", None, "open")]
    assert audit_changes({"s": "a" * 500}, None, limit=10)[0].before == "a" * 9 + "…"


# Filters

def test_filters_by_actor_object_verb_and_period(db, client, login, admin):
    amina = UserFactory(email="amina@example.org")
    now = datetime.now(timezone.utc)
    mine = _event(db, amina, "application.submitted", object_id=5)
    other_verb = _event(db, amina, "grant.opened", object_type="Grant", object_id=5)
    other_actor = _event(db, admin, "application.submitted", object_id=5)
    other_object = _event(db, amina, "application.submitted", object_id=6)
    old = _event(db, amina, "application.submitted", object_id=5, at=now - timedelta(days=40))
    login(admin)

    def shown(**args):
        return set(_shown_ids(client.get("/admin/audit", query_string=args).get_data(as_text=True)))

    assert shown(actor="AMINA@example.org ") == {mine.id, other_verb.id, other_object.id, old.id}
    assert shown(verb="application.") == {mine.id, other_actor.id, other_object.id, old.id}
    assert shown(verb="application_") == set()  # a prefix, not a LIKE pattern
    assert shown(object_type="Grant") == {other_verb.id}
    assert shown(object_type="Application", object_id="5") == {mine.id, other_actor.id, old.id}
    day = (now - timedelta(days=40)).date().isoformat()
    assert shown(date_from=day, date_to=day) == {old.id}
    assert shown(date_from=now.date().isoformat()) == {mine.id, other_verb.id, other_actor.id, other_object.id}


def test_the_period_is_read_in_the_administrators_time_zone(db, client, login):
    admin = UserFactory(roles=["admin"], timezone="Pacific/Auckland")  # UTC+12 or +13
    # 20:00 UTC on 1 March is 2 March in Auckland.
    late = _event(db, admin, "call.opened", at=datetime(2030, 3, 1, 20, 0, tzinfo=timezone.utc))
    login(admin)
    html = client.get("/admin/audit", query_string={"date_from": "2030-03-02", "date_to": "2030-03-02"}).get_data(
        as_text=True)
    assert _shown_ids(html) == [late.id] and "Pacific/Auckland" in html
    html = client.get("/admin/audit", query_string={"date_to": "2030-03-01"}).get_data(as_text=True)
    assert _shown_ids(html) == []


def test_the_kinds_of_record_offered_are_those_in_the_log(db, client, login, admin):
    _event(db, admin, "grant.opened", object_type="Grant")
    _event(db, admin, "tranche.paid", object_type="Tranche")
    login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="object_type".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option[^>]*value="([^"]*)"', select_html) == ["", "Grant", "Tranche"]


def test_bad_filters_are_shown_beside_their_fields_and_no_events_are_guessed(db, client, login, admin):
    _event(db, admin, "grant.opened")
    login(admin)
    html = client.get("/admin/audit", query_string={"object_id": "abc", "date_from": "2030-02-02",
                                                    "date_to": "2030-02-01"}).get_data(as_text=True)
    assert 'id="object_id-error"' in html and 'id="date_to-error"' in html
    assert "on or after" in html and _shown_ids(html) == []
    response = client.get("/admin/audit.csv", query_string={"object_id": "abc"})
    assert response.status_code == 302 and "object_id=abc" in response.location


# Pages, in a fixed number of queries

def test_pages_go_back_in_time_without_gaps_or_repeats(db, client, login, admin):
    moment = datetime(2030, 1, 1, tzinfo=timezone.utc)
    # Several events share one moment: the page boundary must fall between them cleanly.
    record_events(admin, "application.touched", "Application", [(n, None, {"n": n}) for n in range(120)])
    ids = [_event(db, admin, "call.opened", at=moment).id for _ in range(5)]
    db.session.commit()
    login(admin)
    seen, path = [], "/admin/audit"
    while path:
        html = client.get(path).get_data(as_text=True)
        seen += _shown_ids(html)
        found = re.search(r'href="([^"]+)" rel="next"', html)
        path = found.group(1).replace("&amp;", "&") if found else None
    every = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all()
    assert seen == every and len(seen) == 125 and set(ids) <= set(seen)


def test_a_page_runs_the_same_number_of_queries_however_long_the_log(db, client, login, admin):
    login(admin)

    def queries():
        first = count_statements(lambda: client.get("/admin/audit?verb=application."))
        assert first[0].status_code == 200
        older = re.search(r'href="([^"]+)" rel="next"', first[0].get_data(as_text=True))
        assert older, "a second page"
        later = count_statements(lambda: client.get(older.group(1).replace("&amp;", "&")))
        return first[1], later[1]

    record_events(admin, "application.touched", "Application", [(n, {"s": "a"}, {"s": "b"}) for n in range(60)])
    db.session.commit()
    small = queries()
    record_events(admin, "application.touched", "Application", [(n, {"s": "a"}, {"s": "b"}) for n in range(600)])
    db.session.commit()
    assert queries() == small


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_full_page_stays_light(db, client, login, language):
    admin = UserFactory(roles=["admin"], locale=language)
    record_events(admin, "application.updated", "Application",
                  [(n, {"title": "Water for the valley", "status": "draft"},
                    {"title": "Clean water for the valley", "status": "submitted"}) for n in range(60)])
    db.session.commit()
    assert_pages_are_light(client, login, [(admin, ["/admin/audit"])], language)


# The download

def test_the_download_streams_the_filtered_events_as_safe_utf8_csv(db, client, login, admin):
    author = UserFactory(name="=HYPERLINK(\"http://evil\")", email="joão@example.org")
    _event(db, author, "application.submitted", object_id=3, before={"title": "São Tomé"},
           after={"title": "-2+3"})
    _event(db, author, "grant.opened", object_type="Grant")
    login(admin)

    # Buffered: the test client reads the body inside the request's own context (see IsolatedClient).
    response = client.get("/admin/audit.csv", query_string={"verb": "application."}, buffered=True)

    assert response.status_code == 200 and "Content-Length" not in response.headers  # streamed, not built whole
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[:3] == ["Event", "When (UTC)", "Actor number"] and len(header) == 10
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["Actor name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["Actor e-mail"] == "joão@example.org" and row["Action"] == "application.submitted"
    assert row["Before"] == '{"title": "São Tomé"}' and row["Record number"] == "3"
    assert row["When (UTC)"].endswith("+00:00")


def test_the_download_holds_every_matching_event_not_one_page(db, client, login, admin):
    record_events(admin, "application.touched", "Application", [(n, None, None) for n in range(260)])
    db.session.commit()
    login(admin)
    response = client.get("/admin/audit.csv", buffered=True)
    assert len(response.response) > 2  # written out a hundred rows at a time
    assert len(list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))) == 261


# Append-only

def test_the_orm_refuses_to_change_or_delete_an_event(db, admin):
    row = _event(db, admin, "grant.opened")
    row.verb = "grant.hidden"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    db.session.delete(db.session.get(AuditEvent, row.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    for statement in (update(AuditEvent).values(verb="x"), delete(AuditEvent).where(AuditEvent.id == row.id)):
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.scalar(select(AuditEvent.verb).where(AuditEvent.id == row.id)) == "grant.opened"


WRITES_TO_THE_LOG = re.compile(
    r"(update|delete)\(\s*AuditEvent\b"
    r"|AuditEvent\.__table__\.(update|delete)\b"
    r"|\b(update|delete\s+from|truncate(\s+table)?)\s+[\"'`]?audit_events\b",
    re.IGNORECASE)


def test_no_code_updates_or_deletes_audit_events():
    offenders = []
    for folder in ("cade", "tasks"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in WRITES_TO_THE_LOG.finditer(text)]
    assert not offenders


def test_the_scan_would_catch_each_way_of_writing_it():
    for line in ("db.session.execute(update(AuditEvent).values(verb='x'))", "delete( AuditEvent)",
                 "AuditEvent.__table__.delete()", 'text("UPDATE audit_events SET verb = 1")',
                 "DELETE FROM audit_events", "truncate table audit_events"):
        assert WRITES_TO_THE_LOG.search(line), line
    assert not WRITES_TO_THE_LOG.search("select(AuditEvent).where(AuditEvent.verb == 'x')")
