"""The header's "Teaching" link: for trainers, to their sessions."""

from tests.factories import UserFactory


def test_trainers_find_their_teaching_in_the_header(client, login, db):
    login(UserFactory(roles=["trainer"]))
    header = client.get("/training/mine").get_data(as_text=True).split("<main", 1)[0]
    assert 'href="/training/teaching">Teaching</a>' in header
    login(UserFactory())
    header = client.get("/training/mine").get_data(as_text=True).split("<main", 1)[0]
    assert "/training/teaching" not in header
