"""GET /tlog/… (c2sp.org/tlog-tiles@v0.1.0): the signed checkpoint, tiles and entry bundles, byte for byte,
with the spec's media types and caching, open CORS, strict paths, and nothing past the newest checkpoint."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.routers.tlog import accepts_gzip
from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import parse_hex
from ledger.core.events import Leaf
from ledger.core.note import Note, verify_note
from ledger.core.tiles import parse_entry_bundle, parse_tile_path, split_hashes, tile_root
from ledger.services.append import Receipt
from ledger.services.ledger import Ledger
from ledger.storage.schema import events
from tests.api.conftest import DUKCAPIL, anchor_now
from tests.factories import CaseBuilder, log_signer_for_tests

IMMUTABLE = "public, max-age=31536000, immutable"


def seed(ledger: Ledger, count: int) -> None:
    for start in range(0, count, 100):  # a case per event: a case's events are an hour apart (factories)
        items = [CaseBuilder(DUKCAPIL).next_item(summary=f"Langkah {i}") for i in range(start, min(count, start + 100))]
        outcomes = ledger.submit(items)
        assert all(isinstance(o, Receipt) for o in outcomes), [o for o in outcomes if not isinstance(o, Receipt)][:1]


def leaf_hashes(client: TestClient, end: int) -> list[bytes]:
    hashes: list[bytes] = []
    while len(hashes) < end:
        page = client.get("/v1/log/leaves", params={"start": len(hashes), "end": end}).json()["leafHashes"]
        hashes += [parse_hex("h", h, 32) for h in page]
    return hashes


def assert_problem(response, status: int = 404, detail: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["access-control-allow-origin"] == "*"
    if detail is not None:
        assert detail in response.json()["detail"], response.json()


def test_the_checkpoint_is_the_signed_note_of_the_newest_signed_checkpoint(client, ledger):
    assert_problem(client.get("/tlog/checkpoint"), 404, "no signed checkpoint yet")
    seed(ledger, 3)
    anchor_now(ledger)
    response = client.get("/tlog/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["access-control-allow-origin"] == "*"
    note = Note.parse(response.content)
    assert note.serialize().encode() == response.content
    assert note.text == client.get("/v1/checkpoints/latest").json()["checkpoint"]
    (verified,) = verify_note(note, [log_signer_for_tests(ledger.origin).vkey])
    assert str(verified.vkey) == client.get("/v1/info").json()["logVkey"]


def test_tiles_and_bundles_of_a_log_of_300_leaves(client, ledger):
    seed(ledger, 300)
    assert anchor_now(ledger) == 300
    hashes = leaf_hashes(client, 300)
    full = client.get("/tlog/tile/0/000")
    assert full.status_code == 200 and full.content == b"".join(hashes[:256])
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == IMMUTABLE and full.headers["access-control-allow-origin"] == "*"
    partial = client.get("/tlog/tile/0/001.p/44")
    assert partial.content == b"".join(hashes[256:]) and partial.headers["cache-control"] == "public, max-age=300"
    top = client.get("/tlog/tile/1/000.p/1")
    assert top.content == tile_root(hashes[:256]) == merkle.root(hashes[:256])
    root = Checkpoint.from_text(client.get("/v1/checkpoints/latest").json()["checkpoint"]).root_hash
    assert merkle.node_hash(top.content, merkle.root(split_hashes(partial.content))) == root

    bundle = client.get("/tlog/tile/entries/000", headers={"Accept-Encoding": "identity"})
    assert bundle.status_code == 200 and "content-encoding" not in bundle.headers
    assert bundle.headers["vary"] == "Accept-Encoding" and bundle.headers["cache-control"] == IMMUTABLE
    entries = parse_entry_bundle(bundle.content)
    assert len(entries) == 256 and all(len(e) == 106 and e[0] == 1 for e in entries)
    assert bundle.content[:2] == b"\x00\x6a"  # 106, big-endian
    assert [merkle.leaf_hash(e) for e in entries] == hashes[:256]
    with ledger.store.read() as reader:
        first = reader.event_at(0)
    assert Leaf.from_bytes(entries[0]).digest == first.event.digest(ledger.domain)
    assert Leaf.from_bytes(entries[0]).received_at_ms == first.received_at

    compressed = client.get("/tlog/tile/entries/001.p/44", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert [merkle.leaf_hash(e) for e in parse_entry_bundle(compressed.content)] == hashes[256:]  # decoded
    with client.stream("GET", "/tlog/tile/entries/001.p/44", headers={"Accept-Encoding": "gzip"}) as stream:
        assert gzip.decompress(b"".join(stream.iter_raw())) == compressed.content


NO_TILES = [
    ("tile/0/001", "beyond the newest checkpoint"),  # not full yet
    ("tile/entries/001", "beyond the newest checkpoint"),
    ("tile/0/002.p/1", "beyond the newest checkpoint"),
    ("tile/1/000", "beyond the newest checkpoint"),
    ("tile/2/000.p/1", "beyond the newest checkpoint"),
    ("tile/0/001.p/43", "no checkpoint of this log has that partial tile"),
    ("tile/0/001.p/45", "beyond the newest checkpoint"),
    ("tile/0/000.p/255", "no checkpoint of this log has that partial tile"),
    ("tile/1/000.p/2", "beyond the newest checkpoint"),
    ("tile/00/000", "not a tile path"),
    ("tile/64/000", "not a tile path"),
    ("tile/0/0", "not a tile path"),
    ("tile/0/x000/000", "not a tile path"),
    ("tile/0/000.p/0", "not a tile path"),
    ("tile/0/000.p/256", "not a tile path"),
    ("tile/0/000.p/044", "not a tile path"),
    ("tile/entries/x001", "not a tile path"),
    ("tile/entries/001.p/44/", "not a tile path"),
    ("tile/x/000", "not a tile path"),
    ("tile/0/%2e%2e/000", "not a tile path"),
    ("tile/0/000%00", "not a tile path"),
    ("tile/0/" + "x001/" * 500 + "001", "not a tile path"),
]


def test_what_is_no_tile_is_a_404_problem(client, ledger):
    seed(ledger, 300)
    anchor_now(ledger)
    for path, detail in NO_TILES:
        assert_problem(client.get("/tlog/" + path), 404, detail)


def test_partial_tiles_of_every_signed_checkpoint_are_served(client, ledger):
    seed(ledger, 250)
    anchor_now(ledger)
    seed(ledger, 10)
    anchor_now(ledger)
    old = client.get("/tlog/tile/0/000.p/250")
    assert old.status_code == 200 and len(old.content) == 250 * 32
    assert client.get("/tlog/tile/0/000").status_code == 200
    assert client.get("/tlog/tile/0/001.p/4").status_code == 200
    assert client.get("/tlog/tile/entries/000.p/250").status_code == 200
    seed(ledger, 5)  # appended, not checkpointed: nothing of it is served
    assert_problem(client.get("/tlog/tile/0/001.p/9"), 404, "beyond the newest checkpoint")


def test_a_tile_appears_once_a_newer_checkpoint_is_signed(client, ledger):
    seed(ledger, 200)
    anchor_now(ledger)
    assert_problem(client.get("/tlog/tile/0/000"))
    seed(ledger, 56)
    anchor_now(ledger)
    assert client.get("/tlog/tile/0/000").status_code == 200  # the cached checkpoint is read again


def test_a_stored_event_that_no_longer_hashes_to_its_leaf_is_not_served(ledger, store):
    seed(ledger, 3)
    anchor_now(ledger)
    with store.write() as tx:
        tx.conn.execute(update(events).where(events.c.leaf_index == 1).values(summary="diubah"))
    client = TestClient(create_app(ledger.settings, ledger=ledger))
    assert client.get("/tlog/tile/0/000.p/3").status_code == 200  # the hashes are the stored ones
    response = client.get("/tlog/tile/entries/000.p/3")
    assert_problem(response, 500, "leaf 1: the stored event does not hash to its leaf hash")


def test_a_ledger_without_a_log_key_serves_no_tiles(settings, store, clock, ledger):
    seed(ledger, 1)
    anchor_now(ledger)
    keyless = Ledger(ledger.settings, store, clock)
    client = TestClient(create_app(keyless.settings, ledger=keyless))
    assert client.get("/v1/info").json()["logVkey"] is None
    assert_problem(client.get("/tlog/checkpoint"), 404, "no signing key")
    assert_problem(client.get("/tlog/tile/0/000.p/1"), 404, "no signing key")


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, identity", False),
        ("*, gzip;q=0", False),
        ("gzip;q=x", False),
        ("gzipped", False),
    ],
)
def test_accept_encoding(header, accepted):
    assert accepts_gzip(header) is accepted


def test_a_cached_tile_is_answered_before_routing_with_the_same_bytes_and_headers(client, ledger):
    seed(ledger, 300)
    anchor_now(ledger)
    for path, encoding in (("tile/0/000", "identity"), ("tile/entries/001.p/44", "gzip"), ("tile/1/000.p/1", "")):
        headers = {"Accept-Encoding": encoding}
        miss = client.get("/tlog/" + path, headers=headers)
        hit = client.get("/tlog/" + path, headers=headers)
        assert client.app.state.saksi.tlog.cached(parse_tile_path(path[5:]), encoding == "gzip") is not None
        assert (hit.status_code, hit.content) == (miss.status_code, miss.content) == (200, miss.content)
        assert sorted(hit.headers.items()) == sorted(miss.headers.items()), path
    metrics = client.get("/metrics").text
    assert 'saksi_http_requests_total{method="GET",route="/tlog/tile/{level}/{index:path}",status="200"} 4.0' in metrics
    assert 'route="/tlog/tile/entries/{index:path}",status="200"} 2.0' in metrics
    assert_problem(client.get("/tlog/tile/0/001"))  # a miss that is no tile still goes to the route
    assert client.post("/tlog/tile/0/000").status_code == 405


def test_the_checkpoint_is_read_again_once_it_is_older_than_its_ttl(client, ledger):
    seed(ledger, 2)
    anchor_now(ledger)
    reads = client.app.state.saksi.tlog
    reads.checkpoint_ttl_s = 60  # however slow the machine, the next GET comes within it
    first = client.get("/tlog/checkpoint").content
    assert reads.fresh_checkpoint() is not None
    seed(ledger, 1)
    anchor_now(ledger)
    assert client.get("/tlog/checkpoint").content == first  # within the TTL: the same answer, no read
    reads.checkpoint_ttl_s = 0
    assert reads.fresh_checkpoint() is None
    assert Note.parse(client.get("/tlog/checkpoint").content).text.split("\n")[1] == "3"
