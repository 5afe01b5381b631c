"""The checks the benchmarks in bench/ make on their results: each must catch what it is there to catch.

A benchmark whose check cannot fail reports "ok" on a broken run; these run the pure parts of
bench/burst.py, bench/delivery.py, bench/memory.py and bench/weight.py on made-up results, good and bad.
The last part holds bench/harness.py to its word: what a run sets up is taken down, whatever happens.
"""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bench.burst import reference_problems
from bench.harness import running, scratch, wait_ready
from bench.reports import drop_database
from bench.delivery import delivery_problems, message_id
from bench.memory import growth, plan
from bench.weight import Weight, asset_urls, css_urls, weight_problems
from tests.processes import ManagedProcess

ROOT = Path(__file__).resolve().parents[1]


# -- the submission burst: references -----------------------------------------------------------------


def test_the_run_of_references_without_gap_or_repeat_passes():
    references = ["CN-0003", "CN-0001", "CN-0002"]

    assert reference_problems(references, "CN", 3) == []


def test_a_gap_in_the_references_is_caught_and_named():
    problems = reference_problems(["CN-0001", "CN-0002", "CN-0004"], "CN", 3)

    assert any("never given: CN-0003" in problem for problem in problems)
    assert any("outside the run: CN-0004" in problem for problem in problems)


def test_a_reference_given_twice_is_caught():
    problems = reference_problems(["CN-0001", "CN-0001", "CN-0002"], "CN", 3)

    assert any("repeated: CN-0001" in problem for problem in problems)
    assert any("never given: CN-0003" in problem for problem in problems)


def test_an_application_left_without_a_reference_is_caught():
    assert reference_problems(["CN-0001", None, "CN-0002"], "CN", 3)[0] == "1 without a reference"


def test_references_of_another_call_do_not_count():
    assert reference_problems(["XY-0001", "XY-0002"], "CN", 2) != []


# -- notification delivery: lost and duplicated messages ----------------------------------------------


def mail(recipient: str, ident: str | None) -> tuple:
    header = f"Message-ID: <{ident}@cade.example>\r\n" if ident else ""
    content = f"From: grants@cade.example\r\nTo: {recipient}\r\n{header}Subject: Received\r\n\r\nBody\r\n".encode()
    return 0.0, "grants@cade.example", (recipient,), content


def test_one_message_each_with_distinct_ids_passes():
    messages = [mail("a@x.test", "n1"), mail("b@x.test", "n2")]

    assert delivery_problems({"a@x.test", "b@x.test"}, messages) == []


def test_a_lost_message_is_caught():
    problems = delivery_problems({"a@x.test", "b@x.test"}, [mail("a@x.test", "n1")])

    assert problems == ["1 recipients got nothing (e.g. b@x.test)"]


def test_a_message_sent_twice_is_caught_by_recipient_and_by_message_id():
    problems = delivery_problems({"a@x.test"}, [mail("a@x.test", "n1"), mail("a@x.test", "n1")])

    assert "1 recipients got more than one (e.g. a@x.test)" in problems
    assert "1 Message-IDs received more than once" in problems


def test_a_message_to_someone_unexpected_or_without_an_id_is_caught():
    problems = delivery_problems({"a@x.test"}, [mail("a@x.test", None), mail("z@x.test", "n9")])

    assert "1 messages to no one expected (e.g. z@x.test)" in problems
    assert "1 messages without a Message-ID" in problems


def test_the_message_id_is_read_from_the_headers_only():
    content = b"Message-ID: <n7.abc@cade.example>\r\nSubject: x\r\n\r\nMessage-ID: <not-this@body>\r\n"

    assert message_id(content) == "<n7.abc@cade.example>"
    assert message_id(b"Subject: x\r\n\r\nMessage-ID: <in-the-body@x>\r\n") is None


# -- memory under load --------------------------------------------------------------------------------


def test_growth_is_relative_to_the_first_reading():
    assert growth(100_000, 110_000) == 0.10
    assert growth(100_000, 95_000) == -0.05
    assert growth(0, 1) == float("inf")  # a worker that read nothing cannot pass


def test_the_plan_asks_for_every_page_evenly_in_a_fixed_shuffled_order():
    listed = {"a": (None, "/a"), "b": ("admin", "/b"), "c": ("applicant", "/c")}

    order = plan(listed, 10)

    assert len(order) == 10
    counts = {path: sum(1 for _, asked in order if asked == path) for _, path in listed.values()}
    assert sorted(counts.values()) == [3, 3, 4]
    assert order == plan(listed, 10)  # the same seed, the same order
    assert order != [visit for visit in list(listed.values()) * 4][:10]  # shuffled


# -- page weight --------------------------------------------------------------------------------------


PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/static/site.css"><link rel="icon" href="/static/icon.png">
<link rel="canonical" href="/elsewhere"><script src="/static/site.js" defer></script>
<style>.hero { background: url('/static/hero.jpg') }</style></head>
<body><img src="/static/a.png" srcset="/static/a.png 1x, /static/a@2x.png 2x">
<img src="data:image/png;base64,AAAA"><a href="/static/not-loaded.pdf">a link is not loaded</a>
<div style="background-image: url(/static/b.svg)"></div><script src="/static/site.js"></script></body></html>"""


def test_the_assets_a_browser_fetches_are_found_each_once():
    assert asset_urls(PAGE) == ["/static/site.css", "/static/icon.png", "/static/site.js", "/static/hero.jpg",
                                "/static/a.png", "/static/a@2x.png", "/static/b.svg"]


def test_links_and_inline_data_are_not_assets():
    found = asset_urls(PAGE)

    assert "/elsewhere" not in found and "/static/not-loaded.pdf" not in found
    assert not any(url.startswith("data:") for url in found)


def test_a_stylesheet_brings_its_fonts_images_and_imports():
    css = """@import "/static/base.css"; @font-face { src: url("/static/inter.woff2") format("woff2") }
             .x { background: url(img/dot.png) } .y { mask: url('/static/m.svg') }"""

    assert css_urls(css) == ["/static/base.css", "/static/inter.woff2", "img/dot.png", "/static/m.svg"]


def test_a_page_weighs_its_html_and_each_asset_and_names_what_cannot_load():
    weight = Weight(path="/", who="visitor", html_sent=3_000, html=10_000,
                    assets={"/static/site.css": (2_000, 8_000), "/static/gone.js": (0, 0),
                            "https://cdn.example/x.js": (-1, -1)})

    assert (weight.sent, weight.decoded) == (5_000, 18_000)  # what cannot load weighs nothing
    assert weight_problems(weight) == ["/ references /static/gone.js, which is not there",
                                       "/ loads https://cdn.example/x.js from another site"]
    clean = Weight(path="/", who="visitor", html_sent=1, html=1, assets={"/static/site.css": (2, 8)})
    assert weight_problems(clean) == []


# -- the harness: set up, and taken down whatever happens ---------------------------------------------


def sleeper(tmp_path, seconds: int = 600) -> ManagedProcess:
    return ManagedProcess("sleeper", ["sleep", str(seconds)], env={"PATH": os.environ["PATH"]},
                          log_path=tmp_path / "sleeper.log")


def test_a_running_process_is_ended_and_its_log_removed_even_when_the_run_fails(tmp_path):
    process = sleeper(tmp_path)

    with pytest.raises(RuntimeError), running(process):
        assert process.alive
        raise RuntimeError("the benchmark broke")

    assert not process.alive
    assert not process.log_path.exists()


def test_keep_leaves_the_log_of_a_process_ended(tmp_path):
    with running(sleeper(tmp_path), keep=True) as process:
        pass

    assert not process.alive and process.log_path.exists()


def test_waiting_for_a_process_that_exits_says_so_with_its_log(tmp_path):
    process = ManagedProcess("talker", ["sh", "-c", "echo cannot bind; exit 3"], env={"PATH": os.environ["PATH"]},
                             log_path=tmp_path / "talker.log")

    with running(process), pytest.raises(SystemExit, match="talker exited with 3:\ncannot bind"):
        wait_ready(process, lambda: False, seconds=30)


def test_waiting_ends_when_ready_or_fails_at_the_deadline(tmp_path):
    answers = iter([False, False, True])

    with running(sleeper(tmp_path)) as process:
        wait_ready(process, lambda: next(answers), seconds=30)
        with pytest.raises(LookupError, match="sleeper not ready within 0 s"):
            wait_ready(process, lambda: False, seconds=0, broken=LookupError)

    assert next(answers, "all asked") == "all asked"


def test_leaving_exits_with_the_status_and_what_was_printed():
    done = subprocess.run([sys.executable, "-c", "from bench.harness import leave; print('figures'); leave(3)"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert (done.returncode, done.stdout) == (3, "figures\n")


@pytest.fixture
def bench_url():
    """A database name of the bench's kind on TEST_DATABASE_URL's PostgreSQL server (created by the test)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the bench's databases are PostgreSQL's (the second pass)")
    return make_url(url).set(drivername="postgresql", database=f"cade_bench_harness_{uuid.uuid4().hex[:8]}") \
        .render_as_string(hide_password=False)


def exists(url: str) -> bool:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres") as conn:
        return conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0] == 1


def test_a_scratch_run_gets_its_database_and_folder_and_leaves_neither(bench_url):
    forgotten = []

    with pytest.raises(RuntimeError), scratch(bench_url, "cade-bench-test-", forget=lambda: forgotten.append(1)) \
            as folder:
        assert exists(bench_url) and folder.is_dir() and forgotten == [1]  # forgotten before the run, too
        raise RuntimeError("the benchmark broke")

    assert not exists(bench_url) and not folder.exists()
    assert forgotten == [1, 1]


def test_a_scratch_run_kept_leaves_both(bench_url):
    with scratch(bench_url, "cade-bench-test-", keep=True) as folder:
        pass

    try:
        assert exists(bench_url) and folder.is_dir()
    finally:
        drop_database(bench_url)
        shutil.rmtree(folder, ignore_errors=True)
