"""PDF of a report page: A4, the report's title on every page, its charts drawn, its text extractable."""

import base64
import functools
import io
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pypdf
import pytest

from cade.reports.outputs.charts import bar_chart
from cade.reports.outputs.pdf import html_to_pdf

# A 1×1 PNG: an image that would be embedded if it were fetched.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _page(body: str, title: str = "Funding summary 2025") -> str:
    return (f'<!doctype html><html lang="pt"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1>{body}</body></html>")


def _pdf(html: str, **kwargs) -> pypdf.PdfReader:
    data = html_to_pdf(html, **kwargs)
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def _text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _images(reader: pypdf.PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


def test_a_page_with_a_table_a_chart_and_accented_text_becomes_an_a4_pdf_with_all_of_it():
    chart = bar_chart("Prémios por região", [("América Latina e Caribe", 45), ("África", 120)],
                      value_format=lambda value: f"{value} prémios")
    html = _page(f"""
      <p>Organizações de São Tomé, Niño y Peñalolén, é ã ñ.</p>
      <figure>{chart}</figure>
      <table><thead><tr><th>Região</th><th>Prémios</th></tr></thead>
        <tbody><tr><td>África</td><td>120</td></tr><tr><td>América Latina e Caribe</td><td>45</td></tr></tbody></table>
    """)

    reader = _pdf(html)
    text = _text(reader)

    for expected in ("Funding summary 2025", "São Tomé", "Niño", "Peñalolén", "é ã ñ", "Região", "África"):
        assert expected in text
    # Drawn by the chart alone: its visible title and its value labels.
    assert "Prémios por região" in text and "120 prémios" in text
    width, height = (float(side) for side in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_every_page_has_the_report_s_title_and_the_table_s_header():
    rows = "".join(f"<tr><td>Organisation {n}</td><td>{n}</td></tr>" for n in range(150))
    reader = _pdf(_page(f"<table><thead><tr><th>Organisation name</th><th>Awards</th></tr></thead>"
                        f"<tbody>{rows}</tbody></table>", title="Resumo de financiamento"))

    assert len(reader.pages) > 2
    for page in reader.pages:
        text = page.extract_text()
        assert "Resumo de financiamento" in text
        assert "Organisation name" in text


def test_a_table_row_is_not_split_across_pages():
    cell = "<br>".join(f"row {{n}} line {line}" for line in range(6))
    rows = "".join(f"<tr><td>{cell.format(n=n)}</td></tr>" for n in range(40))
    reader = _pdf(_page(f"<table><tbody>{rows}</tbody></table>"))

    assert len(reader.pages) > 1
    pages = [page.extract_text() for page in reader.pages]
    for n in range(40):
        holding = [index for index, text in enumerate(pages) if f"row {n} line" in text]
        assert len(holding) == 1, f"row {n} is on pages {holding}"
        assert all(f"row {n} line {line}" in pages[holding[0]] for line in range(6))


def test_files_beside_the_base_url_are_used_and_nothing_outside_it_is_read(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "report.css").write_text('h2::after { content: " (styled)"; }')
    (static / "logo.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    secret = (tmp_path / "secret.png").as_uri()

    def page(image):
        return _page(f'<link rel="stylesheet" href="report.css"><h2>Totals</h2><img src="{image}" alt="x">')

    assert "Totals (styled)" in _text(_pdf(page("logo.png"), base_url=str(static)))
    assert _images(_pdf(page("logo.png"), base_url=str(static))) == 1
    assert _images(_pdf(page("logo.png"), base_url=static.as_uri() + "/")) == 1
    for outside in (secret, "../secret.png", "..%2Fsecret.png", "http://127.0.0.1:9/logo.png"):
        assert _images(_pdf(page(outside), base_url=str(static))) == 0, outside


def test_without_a_base_url_only_inline_data_is_used(tmp_path):
    (tmp_path / "secret.png").write_bytes(PNG)
    inline = "data:image/png;base64," + base64.b64encode(PNG).decode()

    assert _images(_pdf(_page(f'<img src="{inline}" alt="x">'))) == 1
    assert _images(_pdf(_page(f'<img src="{(tmp_path / "secret.png").as_uri()}" alt="x">'))) == 0


@pytest.mark.parametrize("html", ["", "<p>no title</p>"])
def test_a_page_without_a_title_or_content_still_makes_a_pdf(html):
    assert len(_pdf(html).pages) == 1


@pytest.fixture()
def web_server(tmp_path):
    """A real HTTP server on the loopback, serving tmp_path."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_over_http_only_what_lies_under_the_base_url_is_fetched(tmp_path, web_server):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "logo.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    base = f"{web_server}/static/"

    def images(src):
        return _images(_pdf(_page(f'<img src="{src}" alt="x">'), base_url=base))

    assert images("logo.png") == 1
    assert images(f"{web_server}/static/logo.png") == 1
    for outside in ("../secret.png", "%2E%2E/secret.png", "..%2Fsecret.png", f"{web_server}/secret.png",
                    f"http://localhost:{web_server.rsplit(':', 1)[1]}/static/logo.png"):
        assert images(outside) == 0, outside
