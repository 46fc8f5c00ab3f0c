"""The blob store contract, on the folder store and on an S3 bucket (SeaweedFS) alike: verified
streaming writes that leave nothing behind when they fail, batches, ranged reads, download URLs
(presigned on S3 as botocore would)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from engines import SeaweedS3

from gasvc.errors import ChecksumMismatch, RequestTooLarge
from gasvc.server.blobs import BlobStore, DirectoryBlobStore
from gasvc.server.meta import StoreUnavailable
from gasvc.server.migrate import blob_files
from gasvc.server.presign import Presigner
from gasvc.server.s3blobs import MAX_PARTS, PART_SIZE, S3BlobStore

LIMIT = 64 << 20


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


async def _stream(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def receive(store: BlobStore, checksum: str, chunks: Iterable[bytes],
            max_bytes: int = LIMIT) -> int:
    return asyncio.run(store.receive(checksum, _stream(chunks), max_bytes))


def pieces(data: bytes, size: int = 1 << 20) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "folder":
        return DirectoryBlobStore(tmp_path / "blobs")
    s3: SeaweedS3 = request.getfixturevalue("s3_server")
    return S3BlobStore(f"s3://{s3.new_bucket()}/gas/", client=s3.client())


def leftovers(store: BlobStore) -> list[str]:
    """What a store holds besides complete blobs: temporary files and packs no index row
    names, or multipart uploads."""
    if isinstance(store, DirectoryBlobStore):
        index, packs = store.root / "packs.sqlite", store.root / "packs"
        named = set()
        if index.exists():
            with contextlib.closing(sqlite3.connect(index)) as db:
                named = {f"{pack:016x}.pack" for (pack,) in db.execute("SELECT id FROM packs")}
        unnamed = [p.name for p in packs.iterdir() if p.name not in named] if packs.exists() else []
        return [p.name for p in (store.root / "tmp").iterdir()] + unnamed
    assert isinstance(store, S3BlobStore)
    answer = store.client.list_multipart_uploads(Bucket=store.bucket)
    return [u["Key"] for u in answer.get("Uploads", [])]


def objects(store: BlobStore) -> list[str]:
    """The complete blobs in the store, by checksum."""
    if isinstance(store, DirectoryBlobStore):  # in files of their own or packed
        return [checksum for checksum, _ in blob_files(store)]
    assert isinstance(store, S3BlobStore)
    answer = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(o["Key"].rpartition("/")[2] for o in answer.get("Contents", []))


def test_streamed_blob_is_stored_whole(store: BlobStore) -> None:
    data = b"hello streamed world" * 1000
    assert receive(store, sha1(data), pieces(data, 777)) == len(data)
    assert store.has(sha1(data)) and store.size(sha1(data)) == len(data)
    assert b"".join(store.read(sha1(data))) == data
    assert objects(store) == [sha1(data)] and leftovers(store) == []


def test_large_blob_goes_in_parts(store: BlobStore) -> None:
    data = bytes(range(256)) * ((2 * PART_SIZE + 12345) // 256)
    assert receive(store, sha1(data), pieces(data)) == len(data)
    assert store.size(sha1(data)) == len(data)
    assert hashlib.sha1(b"".join(store.read(sha1(data)))).hexdigest() == sha1(data)
    assert leftovers(store) == []


def test_again_and_empty(store: BlobStore) -> None:
    assert receive(store, sha1(b"twice"), [b"tw", b"ice"]) == 5
    assert receive(store, sha1(b"twice"), [b"twice"]) == 5
    assert receive(store, sha1(b""), []) == 0
    assert store.size(sha1(b"")) == 0 and b"".join(store.read(sha1(b""))) == b""


@pytest.mark.parametrize("size", [100, 2 * PART_SIZE + 1])
def test_checksum_mismatch_leaves_nothing(store: BlobStore, size: int) -> None:
    claimed = sha1(b"what the client announced")
    with pytest.raises(ChecksumMismatch):
        receive(store, claimed, pieces(b"x" * size))
    assert not store.has(claimed) and store.size(claimed) is None
    assert objects(store) == [] and leftovers(store) == []


def test_too_large_leaves_nothing(store: BlobStore) -> None:
    data = b"y" * (PART_SIZE + 100)
    with pytest.raises(RequestTooLarge):
        receive(store, sha1(data), pieces(data), max_bytes=len(data) - 1)
    assert objects(store) == [] and leftovers(store) == []


@pytest.mark.parametrize("size", [10, PART_SIZE + 10])
def test_interrupted_stream_leaves_nothing(store: BlobStore, size: int) -> None:
    async def broken() -> AsyncIterator[bytes]:
        for piece in pieces(b"z" * size):
            yield piece
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.receive(sha1(b"z" * (size + 1)), broken(), LIMIT))
    assert objects(store) == [] and leftovers(store) == []


@pytest.mark.parametrize(("start", "end"), [(0, None), (0, 1), (10, 20), (299_990, None),
                                            (300_000, None), (5, 5), (100, 10_000_000)])
def test_ranged_read(store: BlobStore, start: int, end: int | None) -> None:
    data = bytes(range(256)) * 1172
    data = data[:300_000]
    receive(store, sha1(data), pieces(data))
    assert b"".join(store.read(sha1(data), start, end)) == data[start:end]


def test_missing_blob(store: BlobStore) -> None:
    assert store.size(sha1(b"never")) is None and not store.has(sha1(b"never"))
    with pytest.raises(FileNotFoundError):
        next(iter(store.read(sha1(b"never"))))


def test_batch_stores_verified_blobs_and_drops_the_rest(store: BlobStore) -> None:
    good, bad = b"good" * 10, b"bad" * 10
    batch = store.batch()
    writer = batch.add(sha1(good), LIMIT)
    writer.write(good)
    assert writer.finish() == len(good)
    broken = batch.add(sha1(b"announced"), LIMIT)
    broken.write(bad)
    with pytest.raises(ChecksumMismatch):
        broken.finish()
    half = batch.add(sha1(b"w" * (PART_SIZE + 1)), LIMIT)
    half.write(b"w" * PART_SIZE)  # a part sent, then the request ends
    batch.commit()
    batch.abort()
    assert objects(store) == [sha1(good)] and leftovers(store) == []


def test_a_batch_of_many_small_blobs_is_stored_when_it_commits(store: BlobStore) -> None:
    """On S3 small blobs are put by worker threads while the next ones arrive; `commit` returns
    once every one is stored, and sizes are known without asking the store."""
    files = [f"small file {i}".encode() * (i + 1) for i in range(40)]
    batch = store.batch()
    for content in files:
        writer = batch.add(sha1(content), LIMIT)
        writer.write(content)
        assert writer.finish() == len(content)
    batch.commit()
    batch.abort()
    assert objects(store) == sorted(sha1(f) for f in files)
    assert [store.size(sha1(f)) for f in files] == [len(f) for f in files]
    assert all(b"".join(store.read(sha1(f))) == f for f in files[::7])


def test_a_large_blob_the_store_has_is_only_hashed(store: BlobStore) -> None:
    data = b"L" * (PART_SIZE + 10)
    receive(store, sha1(data), pieces(data))
    batch = store.batch()
    writer = batch.add(sha1(data), LIMIT)
    writer.write(data[:PART_SIZE])
    assert leftovers(store) == []  # no upload begun: the store has it
    writer.write(data[PART_SIZE:])
    assert writer.finish() == len(data)
    batch.commit()
    batch.abort()
    assert objects(store) == [sha1(data)] and leftovers(store) == []


def test_download_urls(store: BlobStore) -> None:
    data = b"downloaded without the server"
    receive(store, sha1(data), [data])
    url = store.download_url(sha1(data), int(time.time()) + 60)
    if isinstance(store, DirectoryBlobStore):
        assert url is None  # the server's signed storage route serves it
        return
    assert url is not None
    with requests.Session() as plain:  # no credentials: the URL is all it takes
        plain.trust_env = False
        assert plain.get(url, timeout=10).content == data
        ranged = plain.get(url, headers={"Range": "bytes=5-9"}, timeout=10)
        assert (ranged.status_code, ranged.content) == (206, data[5:10])
        assert plain.get(url.replace("Signature=", "Signature=0"), timeout=10).status_code == 403
        other = url.replace(sha1(data), sha1(b"other"))
        assert plain.get(other, timeout=10).status_code == 403  # the signature names the key


def test_s3_sweep_aborts_uploads_of_killed_servers(s3_server: SeaweedS3) -> None:
    store = S3BlobStore(f"s3://{s3_server.new_bucket()}", client=s3_server.client())
    key = store.key(sha1(b"killed"))
    started = store.client.create_multipart_upload(Bucket=store.bucket, Key=key)
    store.client.upload_part(Bucket=store.bucket, Key=key, UploadId=started["UploadId"],
                             PartNumber=1, Body=b"k" * 100)
    assert store.sweep_tmp(3600) == 0 and leftovers(store) == [key]  # too young
    time.sleep(1.1)
    assert store.sweep_tmp(1) == 1 and leftovers(store) == []


def test_s3_location_errors_say_what_to_do(s3_server: SeaweedS3) -> None:
    with pytest.raises(StoreUnavailable, match="does not exist") as missing:
        S3BlobStore("s3://no-such-bucket-here", client=s3_server.client())
    assert "create the bucket" in missing.value.hint
    for bad in ("s3://", "http://bucket/x", "bucket"):
        with pytest.raises(StoreUnavailable, match="invalid blob location") as invalid:
            S3BlobStore(bad, client=s3_server.client())
        assert "s3://BUCKET" in invalid.value.hint




def test_s3_parts_grow_with_the_upload_limit(s3_server: SeaweedS3) -> None:
    """S3 takes at most 10,000 parts: a limit of 1 TB needs parts of over 100 MB."""
    store = S3BlobStore(f"s3://{s3_server.new_bucket()}", client=s3_server.client())
    batch = store.batch()
    assert batch.add(sha1(b"small"), 16 << 30).part_size == PART_SIZE
    assert batch.add(sha1(b"huge"), 10**12).part_size * MAX_PARTS >= 10**12
    batch.abort()


@pytest.mark.parametrize("settings", [
    {"endpoint_url": "http://127.0.0.1:8333", "region_name": "us-east-1",
     "config": {"addressing_style": "path"}},
    {"region_name": "eu-west-1", "aws_session_token": "tok/en+=", "config": {}},
], ids=["path-style endpoint", "AWS with a session token"])
def test_presigned_urls_are_botocores(settings: dict[str, Any]) -> None:
    """The fast presigner signs exactly the URL botocore would, in the same second (no store
    needed: presigning is offline); a real store accepts them (test_download_urls)."""
    import boto3
    import botocore.config

    config = botocore.config.Config(signature_version="s3v4", s3=settings.pop("config"))
    client = boto3.session.Session().client(
        "s3", aws_access_key_id="AKID", aws_secret_access_key="sec/ret+", config=config,
        **settings)
    presigner = Presigner(client, "my-bucket")
    key = "a prefix/blobs/" + sha1(b"key")
    for _ in range(5):  # until both land in the same second
        now = int(time.time())
        theirs = client.generate_presigned_url(
            "get_object", Params={"Bucket": "my-bucket", "Key": key}, ExpiresIn=600)
        ours = presigner.url(key, 600, now=now)
        if int(time.time()) == now:
            break
    mine, botos = urlsplit(ours), urlsplit(theirs)
    assert (mine.scheme, mine.netloc, mine.path) == (botos.scheme, botos.netloc, botos.path)
    assert dict(parse_qsl(mine.query)) == dict(parse_qsl(botos.query))


def test_sizes_and_reads_of_many_agree_with_one_by_one(store: BlobStore) -> None:
    """A batch download asks for many blobs at once: small ones of two batches (packed, on
    the folder store), a large one, one uploaded alone, and one the store lacks."""
    first, second = [b"one" * 5, b"two" * 50], [b"three" * 500, b"L" * (PART_SIZE + 3)]
    for files in (first, second):
        batch = store.batch()
        for data in files:
            writer = batch.add(sha1(data), LIMIT)
            writer.write(data)
            writer.finish()
        batch.commit()
        batch.abort()
    alone = b"uploaded alone"
    receive(store, sha1(alone), [alone])
    wanted = [first[0], second[0], alone, second[1], first[1], b"never stored", first[0]]
    checksums = [sha1(data) for data in wanted]
    sizes = store.sizes(checksums)
    assert sizes == [store.size(c) for c in checksums]
    assert sizes == [len(data) for data in wanted[:5]] + [None, len(first[0])]
    found = [(c, n) for c, n in zip(checksums, sizes, strict=True) if n is not None]
    contents = [b"".join(parts) for parts in store.read_sized(found)]
    assert contents == [data for data in wanted if data != b"never stored"]
