"""/open-data: public, light, says what is published and withheld, links both files, in the reader's language."""

from cade.reports.open_data.documents import regenerate_documents
from tests.querycount import count_statements


def test_the_page_is_public_and_says_what_is_withheld(client, world, db):
    regenerate_documents()
    db.session.commit()
    response, statements = count_statements(lambda: client.get("/open-data"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/api/v1/open-data/360giving.json"' in page and 'href="/api/v1/open-data/iati.xml"' in page
    assert "7 grants" in page and "CC BY 4.0" in page
    for words in ("Anonymised organisation in Eastern Africa", "5 awards or more", "Travellers are never named",
                  "No personal data", "declined or that lapsed"):
        assert words in page
    assert len(response.data) < 20_000
    assert statements <= 3


def test_before_any_generation_the_page_still_links_the_files(client, db):
    page = client.get("/open-data").get_data(as_text=True)
    assert "/api/v1/open-data/iati.xml" in page and "generated" not in page


def test_the_page_in_french(client, db):
    response = client.get("/open-data", headers={"Accept-Language": "fr"})
    assert response.status_code == 200 and 'lang="fr"' in response.get_data(as_text=True)
