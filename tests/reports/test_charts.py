"""Server-drawn SVG charts: small, self-contained, accessible and safe with any label."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from jinja2 import Environment
from markupsafe import Markup

from cade.reports.outputs.charts import bar_chart, column_chart, grouped_bar_chart

SVG = "{http://www.w3.org/2000/svg}"
REGIONS = [("Africa", 120), ("Asia and the Pacific", 95), ("Europe", 60),
           ("Latin America and the Caribbean", 45), ("North America", 30), ("Western Asia", 12)]
BUDGET = 4096  # bytes a chart may take: the dashboard holds four, with its tables, in 60 KB


def count(value):
    return f"{value:,}"


def percent(value):
    return f"{value * 100:.1f} %"


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def _texts(root) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def _bars(root) -> list[ET.Element]:
    return [rect for group in root.iter(f"{SVG}g") if "series" in group.get("class", "")
            for rect in group.iter(f"{SVG}rect")]


CHARTS = {
    "bar": lambda: bar_chart("Awards by region", REGIONS, value_format=count),
    "grouped": lambda: grouped_bar_chart(
        "Share of awards: actual, target and baseline", [name for name, _ in REGIONS],
        [("Actual", [Decimal("0.31"), Decimal("0.22"), Decimal("0.2"), Decimal("0.15"), Decimal("0.08"), None]),
         ("Target", [Decimal("0.3"), Decimal("0.2"), None, Decimal("0.2"), None, None]),
         ("Baseline", [Decimal("0.08"), Decimal("0.25"), Decimal("0.4"), Decimal("0.07"), Decimal("0.15"), 0])],
        value_format=percent, max_value=1),
    "column": lambda: column_chart("Awards by year", [("2023", 40), ("2024", 55), ("2025", 71)], value_format=count),
}


@pytest.mark.parametrize("kind", CHARTS)
def test_a_chart_is_an_accessible_svg_image_named_by_its_title(kind):
    markup = CHARTS[kind]()

    root = _parse(markup)

    assert isinstance(markup, Markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.get("id") == root.get("aria-labelledby")
    assert title.text == {"bar": "Awards by region", "column": "Awards by year",
                          "grouped": "Share of awards: actual, target and baseline"}[kind]
    assert root.get("viewBox")


@pytest.mark.parametrize("kind", CHARTS)
def test_a_chart_needs_no_script_no_inline_style_and_nothing_outside_itself(kind):
    svg = str(CHARTS[kind]())
    root = _parse(svg)

    assert not [element.tag for element in root.iter() if element.tag in (f"{SVG}script", f"{SVG}style",
                                                                          f"{SVG}foreignObject", f"{SVG}image")]
    assert not [element.tag for element in root.iter() if "style" in element.attrib]
    assert not [element.tag for element in root.iter()
                if any(name.startswith("on") or name.endswith("href") for name in element.attrib)]
    # References are to the chart's own patterns only.
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", svg))


@pytest.mark.parametrize("kind", CHARTS)
def test_a_chart_of_six_bars_stays_within_its_size_budget(kind):
    size = len(str(CHARTS[kind]()).encode("utf-8"))

    assert size < BUDGET, f"{kind}: {size} bytes"


def test_bars_are_as_long_as_their_values_and_labelled_with_them():
    root = _parse(bar_chart("Awards", [("Africa", 120), ("Europe", 60), ("Oceania", 0)], value_format=count))

    widths = [float(rect.get("width")) for rect in _bars(root)]

    assert widths[0] == pytest.approx(2 * widths[1], abs=0.1)
    assert widths[2] == 0
    assert {"Africa", "Europe", "Oceania", "120", "60", "0"} <= set(_texts(root))


def test_a_long_label_is_written_whole():
    label = "Latin America and the Caribbean"

    assert label in _texts(_parse(bar_chart("Awards", [(label, 1)], value_format=count)))


def test_max_value_sets_the_full_length_and_a_larger_value_stops_there():
    root = _parse(bar_chart("Share", [("A", Decimal("0.5")), ("B", Decimal("1.2")), ("C", 1.0)],
                            value_format=percent, max_value=1))

    half, over, full = (float(rect.get("width")) for rect in _bars(root))

    assert half == pytest.approx(full / 2, abs=0.1)
    assert over == full
    assert "120.0 %" in _texts(root)


def test_a_negative_or_missing_value_draws_no_bar_but_says_its_value():
    root = _parse(bar_chart("Net", [("A", 10), ("B", -5), ("C", None)], value_format=count))

    assert [float(rect.get("width")) for rect in _bars(root)][1:] == [0, 0]
    assert "-5" in _texts(root) and "—" in _texts(root)


@pytest.mark.parametrize("chart", [
    lambda: bar_chart("Awards by region", [], value_format=count),
    lambda: bar_chart("Awards by region", [("Africa", 0), ("Europe", None)], value_format=count),
    lambda: column_chart("Awards by year", [], value_format=count),
    lambda: grouped_bar_chart("Targets", [], [], value_format=percent),
    lambda: grouped_bar_chart("Targets", ["Africa"], [("Actual", [0]), ("Target", [None])], value_format=percent),
])
def test_no_data_draws_an_empty_chart_that_says_so(chart):
    root = _parse(chart())

    assert "No data" in _texts(root)
    assert _bars(root) == []
    assert root.find(f"{SVG}title") is not None


@pytest.mark.parametrize("evil", ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "A & B", "]]>",
                                  "Tom's \"quotes\"", "bell\x07 and nul\x00 and \ufffe"])
def test_labels_values_and_titles_are_text_whatever_they_hold(evil):
    markup = grouped_bar_chart(evil, [evil], [(evil, [1])], value_format=lambda value: evil)
    root = _parse(markup)  # would fail on a stray tag or a character XML forbids

    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", evil)
    assert root.find(f"{SVG}title").text == cleaned
    assert _texts(root).count(cleaned) >= 3  # category, series in the legend, value
    assert not [element for element in root.iter() if element.tag.endswith("script") or "onload" in element.attrib]
    assert "<script>" not in str(markup)


def test_series_differ_by_more_than_colour_and_are_named_in_a_legend():
    root = _parse(CHARTS["grouped"]())
    series = [group for group in root.iter(f"{SVG}g") if "series" in group.get("class", "")]

    looks = [(group.get("fill"), group.get("stroke")) for group in series]

    assert len(series) == 3 and len(set(looks)) == 3
    # At most one series is told by a plain colour; the others by a pattern or an outline.
    assert sum(1 for fill, _ in looks if fill.startswith("#") and fill.lower() not in ("#fff", "#ffffff")) <= 1
    assert {"Actual", "Target", "Baseline"} <= set(_texts(root))
    patterns = {pattern.get("id") for pattern in root.iter(f"{SVG}pattern")}
    assert all(fill[5:-1] in patterns for fill, _ in looks if fill.startswith("url("))


def test_each_category_has_a_bar_per_series_in_order():
    root = _parse(grouped_bar_chart("T", ["A", "B"], [("Actual", [2, 4]), ("Target", [1, 3])],
                                    value_format=count, max_value=4))
    actual, target = ([float(rect.get("width")) for rect in group.iter(f"{SVG}rect")]
                      for group in root.iter(f"{SVG}g") if "series" in group.get("class", ""))

    assert actual[1] == pytest.approx(2 * actual[0], abs=0.1)
    assert target[0] == pytest.approx(actual[0] / 2, abs=0.1)


def test_a_series_with_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValueError, match="Target"):
        grouped_bar_chart("T", ["A", "B"], [("Actual", [1, 2]), ("Target", [1])], value_format=count)


def test_columns_rise_with_their_values_and_are_labelled_by_year():
    root = _parse(column_chart("Awards by year", [("2023", 10), ("2024", 20), (2025, 5)], value_format=count))

    heights = [float(rect.get("height")) for rect in _bars(root)]

    assert heights[1] == pytest.approx(2 * heights[0], abs=0.1) and heights[2] == pytest.approx(heights[0] / 2, abs=0.1)
    assert {"2023", "2024", "2025", "10", "20", "5"} <= set(_texts(root))


def test_two_charts_on_one_page_have_distinct_ids_and_a_given_id_is_kept():
    first, second = CHARTS["bar"](), bar_chart("Awards by stakeholder group", [("Civil society", 3)],
                                               value_format=count)
    ids = [set(re.findall(r'id="([^"]+)"', str(chart))) for chart in (first, second, CHARTS["grouped"]())]

    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert _parse(bar_chart("A", [("x", 1)], value_format=count, chart_id="regions")).get(
        "aria-labelledby") == "regions-title"


def test_a_chart_is_the_same_each_time_it_is_drawn():
    assert CHARTS["grouped"]() == CHARTS["grouped"]()


def test_a_chart_goes_into_a_template_unescaped_once():
    html = Environment(autoescape=True).from_string("<figure>{{ chart }}</figure>").render(chart=CHARTS["bar"]())

    assert html.startswith("<figure><svg ")


def test_many_columns_get_smaller_labels_and_values_too_long_to_fit_are_left_to_the_table():
    years = [(str(year), year * 1000) for year in range(2006, 2026)]

    narrow = _parse(column_chart("Awards by year", [(y, v // 1000) for y, v in years], value_format=count))
    crowded = _parse(column_chart("Amount by year", years, value_format=lambda value: f"{value:,} EUR"))

    assert "2006" in _texts(narrow) and "2,025" in _texts(narrow)
    assert {group.get("font-size") for group in narrow.iter(f"{SVG}g") if group.get("text-anchor")} == {"9", "11"}
    assert "2025" in _texts(crowded) and "2,025,000 EUR" not in _texts(crowded)


def test_very_long_values_still_leave_the_bars_room():
    root = _parse(bar_chart("Amounts", [("A", 2), ("B", 1)], value_format=lambda value: "1,234,567,890.00 EUR " * 5))

    widths = [float(rect.get("width")) for rect in _bars(root)]

    assert widths[0] >= 300 and widths[1] == pytest.approx(widths[0] / 2, abs=0.1)
