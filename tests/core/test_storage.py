"""LocalStorage, the implementation behind the Storage protocol: put, open, delete, exists, size."""

import io

import pytest

from cade.core.storage import LocalStorage, Storage, StoredFile, get_storage


@pytest.fixture()
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def test_put_stores_under_a_random_name_and_says_what_it_stored(storage):
    stored = storage.put(io.BytesIO(b"hello"))
    again = storage.put(io.BytesIO(b"hello"))

    assert isinstance(stored, StoredFile) and stored.name != again.name
    assert (stored.size, stored.sha256) == (5, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    assert storage.exists(stored.name) and storage.size(stored.name) == 5
    with storage.open(stored.name) as stream:
        assert stream.read() == b"hello"


def test_put_refuses_a_stream_over_the_limit_and_keeps_nothing(storage, tmp_path):
    with pytest.raises(OverflowError):
        storage.put(io.BytesIO(b"x" * 200_000), max_bytes=100_000)
    assert [path for path in (tmp_path / "files").rglob("*") if path.is_file()] == []


def test_delete_removes_the_file_and_does_not_mind_if_it_is_gone(storage):
    name = storage.put(io.BytesIO(b"bye")).name
    storage.delete(name)
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(FileNotFoundError):
        storage.size(name)


@pytest.mark.parametrize("name", ["", "../secret", "a/b", "a\\b", ".hidden"])
def test_names_that_could_leave_the_folder_are_refused(storage, name):
    for verb in (storage.open, storage.delete, storage.exists, storage.size):
        with pytest.raises(ValueError):
            verb(name)


def test_the_app_storage_is_the_configured_folder(app, db, storage_path):
    storage = get_storage()
    assert isinstance(storage, Storage)
    name = storage.put(io.BytesIO(b"kept")).name
    assert (storage_path / name[:2] / name).read_bytes() == b"kept"
    storage.delete(name)
