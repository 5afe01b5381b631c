"""The Storage protocol's contract, held by both implementations: a folder and an S3 bucket (a real S3 server)."""

import hashlib
import io
import os

import pytest

from cade.core.storage import Storage, StoredFile
from cade.core.storage_s3 import PART_BYTES
from cade.core.uploads import sniff_content_type
from tests.applications.files import make_docx
from tests.storage.conftest import left_behind

HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


class Trickle(io.RawIOBase):
    """A stream that answers at most `step` bytes a read, as a slow upload does."""

    def __init__(self, data: bytes, step: int):
        self._data, self._step, self._at = data, step, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        piece = self._data[self._at:self._at + min(self._step, len(buffer))]
        buffer[:len(piece)] = piece
        self._at += len(piece)
        return len(piece)


def test_put_stores_under_a_random_name_and_says_what_it_stored(storage):
    stored = storage.put(io.BytesIO(b"hello"))
    again = storage.put(io.BytesIO(b"hello"))

    assert isinstance(storage, Storage)
    assert isinstance(stored, StoredFile) and stored.name != again.name and len(stored.name) == 32
    assert (stored.size, stored.sha256) == (5, HELLO_SHA256)
    assert storage.exists(stored.name) and storage.size(stored.name) == 5
    with storage.open(stored.name) as stream:
        assert stream.read() == b"hello"


def test_an_empty_file_is_stored_as_empty(storage):
    stored = storage.put(io.BytesIO(b""))
    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    with storage.open(stored.name) as stream:
        assert stream.read() == b""


def test_a_file_of_several_parts_comes_back_whole_and_its_digest_is_of_every_byte(storage):
    data = os.urandom(2 * PART_BYTES + 12_345)  # three parts in S3; chunks trickling in odd sizes
    stored = storage.put(io.BufferedReader(Trickle(data, 50_000)))

    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert storage.size(stored.name) == len(data)
    with storage.open(stored.name) as stream:
        assert stream.read(10) == data[:10]
        stream.seek(-22, io.SEEK_END)  # where a zip's directory ends
        assert stream.read() == data[-22:] and stream.tell() == len(data)
        stream.seek(PART_BYTES - 5)
        assert stream.read(10) == data[PART_BYTES - 5:PART_BYTES + 5]
        stream.seek(0)
        assert hashlib.sha256(stream.read()).hexdigest() == stored.sha256


def test_an_office_file_is_checked_through_the_stream_the_storage_opens(storage):
    """The zip check seeks to the archive's directory and back: the S3 stream must allow it."""
    stored = storage.put(io.BytesIO(make_docx()))
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    with storage.open(stored.name) as stream:
        kind = sniff_content_type(stream, {docx}, {docx: "word/document.xml"}, "refused")
    assert kind == docx


@pytest.mark.parametrize("size", [200_000, PART_BYTES + 200_000], ids=["one part", "several parts"])
def test_put_refuses_a_stream_over_the_limit_and_keeps_nothing(storage, size):
    """Past the limit nothing stays: no file, no object, and in S3 no unfinished multipart upload either."""
    with pytest.raises(OverflowError):
        storage.put(io.BytesIO(b"x" * size), max_bytes=size - 100_000)
    assert left_behind(storage) == []


def test_a_file_exactly_at_the_limit_is_kept(storage):
    stored = storage.put(io.BytesIO(b"x" * 1000), max_bytes=1000)
    assert storage.size(stored.name) == 1000


def test_delete_removes_the_file_and_does_not_mind_if_it_is_gone(storage):
    name = storage.put(io.BytesIO(b"bye")).name
    storage.delete(name)
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(FileNotFoundError):
        storage.size(name)
    assert left_behind(storage) == []


def test_a_name_never_given_is_not_found(storage):
    assert not storage.exists("0" * 32)
    with pytest.raises(FileNotFoundError):
        storage.open("0" * 32)


@pytest.mark.parametrize("name", ["", "../secret", "a/b", "a\\b", ".hidden"])
def test_names_that_could_reach_another_file_are_refused(storage, name):
    for verb in (storage.open, storage.delete, storage.exists, storage.size):
        with pytest.raises(ValueError):
            verb(name)


def test_a_storage_that_can_be_written_to_answers_the_ping(storage):
    assert storage.ping() is None


def test_s3_keeps_its_files_under_the_prefix(s3_storage):
    stored = s3_storage.put(io.BytesIO(b"kept"))
    assert left_behind(s3_storage) == [f"{s3_storage.prefix}{stored.name}"]
