"""The checks the benchmarks in bench/ make on their results: each must catch what it is there to catch.

A benchmark whose check cannot fail reports "ok" on a broken run; these run the pure parts of
bench/burst.py, bench/delivery.py, bench/memory.py and bench/weight.py on made-up results, good and bad.
"""

from bench.burst import reference_problems
from bench.delivery import delivery_problems, message_id
from bench.memory import growth, plan
from bench.weight import Weight, asset_urls, css_urls, weight_problems


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
