"""Server-drawn SVG charts for the reports dashboard and its PDF: bars, grouped bars and columns.

Why our own few lines rather than a charting library: for one chart of six
bars, pygal 3.1.3 writes 10.5 KB at its leanest (``js=[]``, ``css=[]``,
no XML declaration) and still carries an inline ``<script>`` and
``<style>``; matplotlib 3.11.2 (SVG backend, ``svg.fonttype: none``, no
metadata) writes 10.6 KB with a ``<style>`` element and 41 ``style=``
attributes. The site's Content-Security-Policy (``script-src 'self';
style-src 'self'``) blocks inline scripts and styles, so both would draw
unstyled (black) shapes, and each is two and a half times the 4 KB a chart
may take if the dashboard, four charts and their tables, is to stay under
60 KB. Drawing bars is simple enough to own: this module writes that chart
in 1.1 KB (actual, target and baseline for six regions: 2.9 KB; three years
of columns: 0.8 KB).

What every chart is:
- an ``<svg role="img">`` named by its ``<title>`` (``aria-labelledby``):
  the dashboard follows each chart with its data table, so the picture need
  not be read out figure by figure;
- self-contained: no script, no style attribute or element, no reference
  outside itself (colours are presentation attributes, ``fill=``, which the
  site's CSS may override through the classes ``chart``, ``series`` and
  ``legend``); patterns are referred to by ids that start with the chart's
  own id, unique on a page;
- built with ElementTree, so every label, value and title is text, escaped
  by the serializer: a region called "<script>" is a region called
  "<script>". Characters XML cannot hold at all are dropped;
- drawn for any data: no data, or only zeros, draws the frame with the words
  "No data"; a value over ``max_value`` stops at the full length; a missing
  (None) or negative value draws no bar but its value is still written.
Series of a grouped chart differ by more than colour: solid, hatched,
outlined, dotted, in that order (a fifth starts again), and a legend names them.
"""

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from flask_babel import gettext as _
from markupsafe import Markup

WIDTH = 600
INK = "#222"
CHAR_WIDTH = 7  # average advance of a 12px sans-serif character, to leave room for value labels
TITLE_HEIGHT = 26
LABEL_CHARS = 80  # a longer label is cut with "…"; the table after the chart has it whole
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MISSING = "—"

# How each series of a grouped chart is drawn; a pattern is (its tile's content, its ink).
_LOOKS = [
    {"fill": "#1f5f8b"},
    {"pattern": '<path d="M0 6L6 0M-1 1L1-1M5 7L7 5" stroke="#a34700" stroke-width="1.5"/>',
     "stroke": "#a34700"},
    {"fill": "#fff", "stroke": INK},
    {"pattern": '<circle cx="3" cy="3" r="1.3" fill="#5b3a8c"/>', "stroke": "#5b3a8c"},
]

Number = int | float
Format = Callable[[object], str]


def bar_chart(title, bars: Sequence[tuple[str, object]], *, value_format: Format, max_value=None,
              chart_id: str | None = None, show_title: bool = True) -> Markup:
    """Horizontal bars, one per (label, value), each label written above its bar and its value after it."""
    return grouped_bar_chart(title, [label for label, _value in bars], [("", [value for _label, value in bars])],
                             value_format=value_format, max_value=max_value, show_title=show_title,
                             chart_id=chart_id or _chart_id("bar", title, bars))


def grouped_bar_chart(title, categories: Sequence[str], series: Sequence[tuple[str, Sequence[object]]], *,
                      value_format: Format, max_value=None, chart_id: str | None = None,
                      show_title: bool = True) -> Markup:
    """For each category a bar per series (actual, target, baseline...), with a legend naming the series.

    ValueError if a series has not one value per category. A single unnamed
    series draws no legend (that is `bar_chart`).
    """
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    chart_id = chart_id or _chart_id("grouped", title, categories, series)
    svg, y = _frame(title, chart_id, show_title)
    values = [value for _name, vals in series for value in vals]
    if not _has_data(values):
        return _no_data(svg, y)
    if any(name for name, _values in series):
        y = _legend(svg, chart_id, [str(name) for name, _values in series], y)
    shown = [[_shown(value, value_format) for value in vals] for _name, vals in series]
    # Room is left after the longest bar for its value; long values still leave the bars half the width.
    length = _scale(values, max_value, max(WIDTH / 2, WIDTH - _longest(shown) * CHAR_WIDTH - 6))
    bar = 14 if len(series) == 1 else 12
    groups = [_series_group(svg, chart_id, index) for index in range(len(series))]
    texts = _texts(svg)  # after the bars, so that text is drawn over them
    for row, category in enumerate(categories):
        _text(texts, 0, y + 12, _label(category))
        for index, (_name, vals) in enumerate(series):
            top = y + 17 + index * (bar + 3)
            width = length(vals[row])
            ET.SubElement(groups[index], "rect", x="0", y=_n(top), width=_n(width), height=str(bar))
            _text(texts, width + 4, top + bar - 2.5, shown[index][row])
        y += 20 + len(series) * (bar + 3)
    return _done(svg, y)


def column_chart(title, columns: Sequence[tuple[object, object]], *, value_format: Format, max_value=None,
                 chart_id: str | None = None, show_title: bool = True) -> Markup:
    """Vertical columns, one per (label, value) (awards per year): labels below, values above."""
    chart_id = chart_id or _chart_id("column", title, columns)
    svg, y = _frame(title, chart_id, show_title)
    values = [value for _label, value in columns]
    if not _has_data(values):
        return _no_data(svg, y)
    plot = 150
    height = _scale(values, max_value, plot)
    slot = WIDTH / len(columns)
    width = min(40.0, slot * 0.6)
    group = _series_group(svg, chart_id, 0)
    shown = [_shown(value, value_format) for value in values]
    labels = [_label(label) for label, _value in columns]
    # Values too long to fit above their columns even small are left to the table that follows the chart.
    value_size = _fitting(shown, slot)
    value_texts = _texts(svg, "middle", value_size) if value_size else None
    label_texts = _texts(svg, "middle", _fitting(labels, slot) or 7)
    base = y + 16 + plot
    for index, value in enumerate(values):
        middle, tall = slot * index + slot / 2, height(value)
        ET.SubElement(group, "rect", x=_n(middle - width / 2), y=_n(base - tall), width=_n(width), height=_n(tall))
        if value_texts is not None:
            _text(value_texts, middle, base - tall - 4, shown[index])
        _text(label_texts, middle, base + 16, labels[index])
    return _done(svg, base + 22)


def _chart_id(*content) -> str:
    # The same chart gets the same ids each time it is drawn; two different charts on a page, different ones.
    return "chart-" + hashlib.blake2s(repr(content).encode(), digest_size=4).hexdigest()


def _frame(title, chart_id: str, show_title: bool) -> tuple[ET.Element, float]:
    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "class": "chart", "role": "img",
        "aria-labelledby": f"{chart_id}-title", "font-family": "sans-serif", "font-size": "12", "fill": INK,
    })
    ET.SubElement(svg, "title", id=f"{chart_id}-title").text = _clean(title)
    if not show_title:
        return svg, 0
    ET.SubElement(svg, "text", {"x": "0", "y": "16", "font-size": "14", "font-weight": "bold"}).text = _clean(title)
    return svg, TITLE_HEIGHT


def _no_data(svg: ET.Element, y: float) -> Markup:
    ET.SubElement(svg, "text", x="0", y=_n(y + 20)).text = _("No data")
    return _done(svg, y + 32)


def _done(svg: ET.Element, height: float) -> Markup:
    svg.set("width", str(WIDTH))
    svg.set("height", _n(height))
    svg.set("viewBox", f"0 0 {WIDTH} {_n(height)}")
    # bandit B704 (Markup of a string): ElementTree's serialiser has escaped every text and attribute.
    return Markup(ET.tostring(svg, encoding="unicode"))  # nosec B704


def _legend(svg: ET.Element, chart_id: str, names: list[str], y: float) -> float:
    legend = ET.SubElement(svg, "g", {"class": "legend"})
    x = 0
    for index, name in enumerate(names):
        name = _label(name)
        advance = 16 + len(name) * CHAR_WIDTH + 18
        if x and x + advance > WIDTH:
            x, y = 0, y + 18
        ET.SubElement(legend, "rect", x=_n(x), y=_n(y + 1), width="12", height="12", **_look(chart_id, index))
        ET.SubElement(legend, "text", x=_n(x + 16), y=_n(y + 11)).text = name
        x += advance
    return y + 24


def _series_group(svg: ET.Element, chart_id: str, index: int) -> ET.Element:
    look = _LOOKS[index % len(_LOOKS)]
    if "pattern" in look:
        defs = svg.find("defs")
        if defs is None:
            defs = ET.Element("defs")
            svg.insert(1, defs)
        # The tile is our own constant markup, not data (bandit B314: no DTD, no entities to expand).
        pattern = ET.fromstring(f'<pattern id="{chart_id}-p{index}" width="6" height="6" '  # nosec B314
                                f'patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff"/>'
                                f'{look["pattern"]}</pattern>')
        defs.append(pattern)
    return ET.SubElement(svg, "g", {"class": f"series series-{index}", **_look(chart_id, index)})


def _look(chart_id: str, index: int) -> dict[str, str]:
    look = _LOOKS[index % len(_LOOKS)]
    attributes = {"fill": look.get("fill") or f"url(#{chart_id}-p{index})"}
    if "stroke" in look:
        attributes["stroke"] = look["stroke"]
    return attributes


def _texts(svg: ET.Element, anchor: str | None = None, size: int = 12) -> ET.Element:
    attributes = {"text-anchor": anchor} if anchor else {}
    if size != 12:
        attributes["font-size"] = str(size)
    return ET.SubElement(svg, "g", attributes)


def _fitting(texts: list[str], room: float) -> int | None:
    """The font size (12 down to 7) at which the longest of `texts` fits in `room`; None if none does."""
    longest = max((len(text) for text in texts), default=0)
    size = 12 if not longest else int(min(12, (room - 2) / (0.62 * longest)))
    return size if size >= 7 else None


def _text(parent: ET.Element, x: float, y: float, text: str) -> None:
    ET.SubElement(parent, "text", x=_n(x), y=_n(y)).text = text


def _has_data(values) -> bool:
    return any(value for value in values if value is not None)


def _scale(values, max_value, full: float) -> Callable[[object], float]:
    """value → length in [0, full]: proportional to `max_value` (else to the largest value)."""
    top = float(max_value) if max_value else max((float(v) for v in values if v is not None), default=0)
    if top <= 0:
        return lambda value: 0.0
    return lambda value: 0.0 if value is None else min(max(float(value) / top, 0.0), 1.0) * full


def _shown(value, value_format: Format) -> str:
    return MISSING if value is None else _clean(value_format(value))


def _longest(texts: list[list[str]]) -> int:
    return max((len(text) for row in texts for text in row), default=0)


def _label(text) -> str:
    text = _clean(text)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _clean(text) -> str:
    return NOT_IN_XML.sub("", str(text))


def _n(number: float) -> str:
    """A coordinate to a tenth, without a trailing ".0": the bytes add up over a chart."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text
